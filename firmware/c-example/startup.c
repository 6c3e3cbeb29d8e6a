/* Start-up for QEMU mps2-an386 (Cortex-M4F): the vector table, a reset
 * handler that copies .data from flash, zeroes .bss and turns the FPU on
 * before main, and fault handlers that end QEMU with a non-zero status
 * instead of spinning. */
#include <stdint.h>

#include "semihosting.h"

/* From link.ld. */
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

int main(void);

/* Exit statuses of the fault handlers (the Rust firmware's HardFault one
 * is 102). */
enum { EXIT_HARD_FAULT = 102, EXIT_OTHER_FAULT = 103 };

/* Coprocessor Access Control Register: CP10 and CP11 (the FPU). */
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

__attribute__((noreturn)) void Reset_Handler(void) {
    /* Word by word, through volatile pointers, so the compiler does not
     * turn the loops into calls to memcpy/memset. */
    volatile uint32_t *src = &_sidata;
    for (volatile uint32_t *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
    for (volatile uint32_t *dst = &_sbss; dst < &_ebss;) *dst++ = 0;
    /* Full access to CP10 and CP11 before the first floating-point
     * instruction (the code is built for the hard-float ABI). */
    SCB_CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    semihosting_exit(main());
}

__attribute__((noreturn)) static void HardFault_Handler(void) {
    semihosting_write("HardFault\n");
    semihosting_exit(EXIT_HARD_FAULT);
}

__attribute__((noreturn)) static void Default_Handler(void) {
    semihosting_write("unexpected exception\n");
    semihosting_exit(EXIT_OTHER_FAULT);
}

/* The first 16 entries of the vector table: initial stack pointer, reset,
 * and the Cortex-M4 system exceptions (no device interrupt is enabled). */
__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&_estack, /* initial SP */
    Reset_Handler,
    Default_Handler,   /* NMI */
    HardFault_Handler, /* HardFault */
    Default_Handler,   /* MemManage */
    Default_Handler,   /* BusFault */
    Default_Handler,   /* UsageFault */
    0, 0, 0, 0,        /* reserved */
    Default_Handler,   /* SVCall */
    Default_Handler,   /* DebugMonitor */
    0,                 /* reserved */
    Default_Handler,   /* PendSV */
    Default_Handler,   /* SysTick */
};
