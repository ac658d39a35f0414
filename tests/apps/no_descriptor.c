/*
 * no_descriptor — a valid shared object that is not a Nines module: it
 * exports a function but no `nines_module_v1` symbol. The host must refuse
 * it, naming the missing symbol.
 */
#include "nines/module.h"

NINES_API int not_a_module(void);

NINES_API int not_a_module(void)
{
    return 42;
}
