/* Arm semihosting, as QEMU implements it (-semihosting-config enable=on):
 * text to QEMU's standard output and an exit status for QEMU. */
#ifndef SEMIHOSTING_H
#define SEMIHOSTING_H

#include <stdint.h>

/* Writes a NUL-terminated string (SYS_WRITE0). */
void semihosting_write(const char *text);

/* Ends the program; QEMU exits with `status` (SYS_EXIT_EXTENDED). */
__attribute__((noreturn)) void semihosting_exit(int32_t status);

#endif /* SEMIHOSTING_H */
