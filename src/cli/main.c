#include <stdio.h>
#include "core/au.h"
int main(void) { puts("auralis " AU_VERSION); return 0; }
