/* The digits job in QEMU mps2-an386 (Cortex-M4F), from C: trains on the
 * digits in flash through the microprop C API, prints over semihosting and
 * exits with the job's status (0 only above the accuracy floor). */
#include "digits_data.h"
#include "digits_job.h"
#include "semihosting.h"

int main(void) {
    int status = digits_job(&digits_data[0][0], semihosting_write);
    semihosting_exit(status);
}
