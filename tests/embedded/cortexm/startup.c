/* startup.c - the least a Cortex-M4 needs to run a test under QEMU: the
 * vector table, .data copied and .bss zeroed, the FPU enabled, main(), and
 * output and exit through ARM semihosting (no C library at all). */
#include <stdint.h>

extern uint32_t _data_load, _data_start, _data_end, _bss_start, _bss_end, _stack_top;
int main(void);

static int semihost(int op, void *arg) {
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void semihost_print(const char *s) { semihost(0x04, (void *)s); } /* SYS_WRITE0 */

static void semihost_exit(int code) {
    uint32_t block[2] = {0x20026, (uint32_t)code}; /* ADP_Stopped_ApplicationExit */
    semihost(0x20, block);                        /* SYS_EXIT_EXTENDED */
    for (;;)
        ;
}

void reset(void) {
    uint32_t *src = &_data_load, *dst = &_data_start;
    while (dst < &_data_end)
        *dst++ = *src++;
    for (dst = &_bss_start; dst < &_bss_end;)
        *dst++ = 0;
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20; /* CPACR: CP10, CP11 full access */
    __asm__ volatile("dsb\n\tisb");
    semihost_exit(main());
}

__attribute__((section(".vectors"), used)) static void *const vectors[2] = {&_stack_top, (void *)reset};
