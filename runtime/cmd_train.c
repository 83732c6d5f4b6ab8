/* cmd_train.c - PROG train (stub until written below). */
#include "rt_driver.h"
int rt_cmd_train(const rt_model *m, const rt_args *a) {
    (void)m;
    return rt_fail(a, "train is not implemented yet");
}
