/* mtl458_broken.c: the correct student of mtl458_ok.c with one fault: fork_ps maps the
 * parent's frames instead of copying them, so parent and child see each other's writes. */
#define BUG_FORK_SHARES
#include "mtl458_ok.c"
