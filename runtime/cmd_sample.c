/* cmd_sample.c - PROG sample (stub until written below). */
#include "rt_driver.h"
int rt_cmd_sample(const rt_model *m, const rt_args *a) {
    (void)m;
    return rt_fail(a, "sample is not implemented yet");
}
