/* ajou_sim.c: a small, independent C implementation of the Ajou 2021 framework's shell (the
 * `ajou` profile of docs/ajou.md and the spec), written for the tests of `vmsim grade`.
 * Built as is, it is a correct student: it must score full marks. Built with one of the BUG_*
 * macros, it is a student with one deliberate fault, and `vmsim grade` must find it:
 *   BUG_FRAME_FROM_1   alloc never uses frame 0 (the lowest free frame rule broken)
 *   BUG_COW_NO_COPY    a write to a shared copy-on-write page makes it writable in place
 *   BUG_NO_PAD         translations print "%3u --> %u" (the trailing spaces of %-3u lost)
 *   BUG_SEGV_SWITCH    switching back to an existing process dereferences NULL
 *   BUG_ABORT_FREE     freeing a shared frame fails an assert()
 *   BUG_HANG_PAGES     `pages` loops forever
 *   BUG_FLOOD_SHOW     `show` prints forever
 * Usage: ajou_sim [-t] SCRIPT */
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NR_PAGEFRAMES 128
#define NR_PTES 16
#define NR_TLB 256

struct pte {
    int valid, writable, private_w;
    unsigned pfn;
};

struct process {
    unsigned pid;
    struct pte *dir[NR_PTES]; /* inner tables, NULL until something is mapped under them */
    struct process *next;
};

static unsigned mapcounts[NR_PAGEFRAMES];
static struct process *processes, *current;
static int use_tlb;
static struct {
    int valid;
    unsigned vpn, pfn;
} tlb[NR_TLB];

#ifdef BUG_NO_PAD
#define XLAT "%3u --> %u\n"
#else
#define XLAT "%3u --> %-3u\n"
#endif

static struct pte *entry(struct process *p, unsigned vpn) {
    struct pte *inner = p->dir[vpn / NR_PTES];
    return inner ? &inner[vpn % NR_PTES] : NULL;
}

static int tlb_lookup(unsigned vpn, unsigned *pfn) {
    if (!use_tlb) return 0;
    for (int i = 0; i < NR_TLB; i++)
        if (tlb[i].valid && tlb[i].vpn == vpn) {
            *pfn = tlb[i].pfn;
            return 1;
        }
    return 0;
}

static void tlb_insert(unsigned vpn, unsigned pfn) {
    if (!use_tlb) return;
    for (int i = 0; i < NR_TLB; i++)
        if (!tlb[i].valid) {
            tlb[i].valid = 1;
            tlb[i].vpn = vpn;
            tlb[i].pfn = pfn;
            return;
        }
}

static void tlb_remove(unsigned vpn) {
    for (int i = 0; i < NR_TLB; i++)
        if (tlb[i].valid && tlb[i].vpn == vpn) tlb[i].valid = 0;
}

static int lowest_free(void) {
#ifdef BUG_FRAME_FROM_1
    int start = 1;
#else
    int start = 0;
#endif
    for (int f = start; f < NR_PAGEFRAMES; f++)
        if (mapcounts[f] == 0) return f;
    return -1;
}

/* The MMU: 1 and the frame if `vpn` translates for the access. */
static int walk(unsigned vpn, int write, unsigned *pfn) {
    struct pte *e = entry(current, vpn);
    if (!e || !e->valid || (write && !e->writable)) return 0;
    *pfn = e->pfn;
    return 1;
}

/* The page-fault handler: 1 if it fixed the entry. */
static int fault(unsigned vpn, int write) {
    struct pte *e = entry(current, vpn);
    if (!write || !e || !e->valid || e->writable || !e->private_w) return 0;
    if (mapcounts[e->pfn] > 1) {
#ifdef BUG_COW_NO_COPY
        e->writable = 1;
        return 1;
#endif
        int f = lowest_free();
        if (f < 0) return 0;
        mapcounts[e->pfn]--;
        mapcounts[f] = 1;
        e->pfn = (unsigned)f;
    }
    e->writable = 1;
    return 1;
}

static void access_vpn(unsigned vpn, int write) {
    unsigned pfn;
    if (tlb_lookup(vpn, &pfn)) {
        fprintf(stderr, "o | " XLAT, vpn, pfn);
        return;
    }
    if (!walk(vpn, write, &pfn)) {
        if (!fault(vpn, write) || !walk(vpn, write, &pfn)) {
            fprintf(stderr, "Unable to access %u\n", vpn);
            return;
        }
    }
    tlb_insert(vpn, pfn);
    fprintf(stderr, use_tlb ? "x | " XLAT : XLAT, vpn, pfn);
}

static void alloc_vpn(unsigned vpn, int writable) {
    unsigned pfn;
    if (tlb_lookup(vpn, &pfn) || walk(vpn, 0, &pfn)) {
        fprintf(stderr, "%u is already allocated to %u\n", vpn, pfn);
        exit(0);
    }
    int f = lowest_free();
    if (f < 0) {
        fprintf(stderr, "memory is full\n");
        exit(0);
    }
    if (!current->dir[vpn / NR_PTES]) current->dir[vpn / NR_PTES] = calloc(NR_PTES, sizeof(struct pte));
    struct pte *e = entry(current, vpn);
    e->valid = 1;
    e->writable = e->private_w = writable;
    e->pfn = (unsigned)f;
    mapcounts[f] = 1;
    fprintf(stderr, "alloc " XLAT, vpn, (unsigned)f);
}

static void free_vpn(unsigned vpn) {
    unsigned pfn;
    if (!tlb_lookup(vpn, &pfn) && !walk(vpn, 0, &pfn)) {
        fprintf(stderr, "%u is not allocated\n", vpn);
        return;
    }
    fprintf(stderr, "free %u (pfn %u)\n", vpn, pfn);
    struct pte *e = entry(current, vpn);
#ifdef BUG_ABORT_FREE
    assert(mapcounts[e->pfn] == 1);
#endif
    mapcounts[e->pfn]--;
    e->valid = e->writable = 0;
    e->pfn = 0;
    tlb_remove(vpn);
}

static void switch_to(unsigned pid) {
    for (struct process *p = processes; p; p = p->next)
        if (p->pid == pid) {
#ifdef BUG_SEGV_SWITCH
            if (p != current) p = NULL;
            current = p;
            (void)current->pid;
#endif
            current = p;
            memset(tlb, 0, sizeof tlb);
            return;
        }
    struct process *child = calloc(1, sizeof *child);
    child->pid = pid;
    for (int o = 0; o < NR_PTES; o++) {
        if (!current->dir[o]) continue;
        child->dir[o] = calloc(NR_PTES, sizeof(struct pte));
        for (int i = 0; i < NR_PTES; i++) {
            struct pte *e = &current->dir[o][i];
            if (!e->valid) continue;
            e->writable = 0;
            child->dir[o][i] = *e;
            mapcounts[e->pfn]++;
        }
    }
    child->next = processes;
    processes = child;
    current = child;
    memset(tlb, 0, sizeof tlb);
}

static void show(void) {
    fprintf(stderr, "\n*** PID %u ***\n", current->pid);
    for (int o = 0; o < NR_PTES; o++) {
        if (!current->dir[o]) continue;
        for (int i = 0; i < NR_PTES; i++) {
            struct pte *e = &current->dir[o][i];
#ifdef BUG_FLOOD_SHOW
            for (;;) fprintf(stderr, "%02d:%02d %c%c | %-3d\n", o, i, 'v', ' ', 0);
#endif
            if (!e->valid) continue;
            fprintf(stderr, "%02d:%02d %c%c | %-3d\n", o, i, e->valid ? 'v' : ' ', e->writable ? 'w' : ' ', e->pfn);
        }
        printf("\n");
    }
}

static void pages(void) {
#ifdef BUG_HANG_PAGES
    for (volatile int spin = 1; spin;) {
    }
#endif
    for (int f = 0; f < NR_PAGEFRAMES; f++)
        if (mapcounts[f]) fprintf(stderr, "%3u: %d\n", f, mapcounts[f]);
    fprintf(stderr, "\n");
}

static unsigned number(const char *w) {
    return (unsigned)strtoimax(w, NULL, 0);
}

int main(int argc, char **argv) {
    int a = 1;
    if (a < argc && !strcmp(argv[a], "-t")) {
        use_tlb = 1;
        a++;
    }
    FILE *in = stdin;
    if (a < argc) {
        in = fopen(argv[a], "r");
        if (!in) return 1;
        printf("Use file \"%s\" for input.\n", argv[a]);
    }
    processes = current = calloc(1, sizeof *current);
    char buf[4096];
    while (fgets(buf, sizeof buf, in)) {
        char *w[4];
        int n = 0;
        for (char *p = buf; *p; p++) *p = (char)tolower((unsigned char)*p);
        for (char *t = strtok(buf, " \t\n\v\f\r"); t && n < 4; t = strtok(NULL, " \t\n\v\f\r")) {
            if (t[0] == '#') break;
            w[n++] = t;
        }
        if (n == 0) continue;
        if (n == 1 && !strcmp(w[0], "exit")) break;
        else if (n == 1 && !strcmp(w[0], "show")) show();
        else if (n == 1 && !strcmp(w[0], "pages")) pages();
        else if (n == 1 && !strcmp(w[0], "tlb")) {
            for (int i = 0; i < NR_TLB; i++)
                if (tlb[i].valid) fprintf(stderr, "%3d -> %-3d\n", tlb[i].vpn, tlb[i].pfn);
        } else if (n == 2 && (!strcmp(w[0], "read") || !strcmp(w[0], "r"))) access_vpn(number(w[1]), 0);
        else if (n == 2 && (!strcmp(w[0], "write") || !strcmp(w[0], "w"))) access_vpn(number(w[1]), 1);
        else if (n == 2 && (!strcmp(w[0], "free") || !strcmp(w[0], "f"))) free_vpn(number(w[1]));
        else if (n == 2 && (!strcmp(w[0], "switch") || !strcmp(w[0], "s"))) switch_to(number(w[1]));
        else if (n == 3 && (!strcmp(w[0], "alloc") || !strcmp(w[0], "a"))) alloc_vpn(number(w[1]), strchr(w[2], 'w') != NULL);
        else if (n == 3 && !strcmp(w[0], "access")) access_vpn(number(w[1]), !strchr(w[2], 'r'));
        else printf("Unknown command %s\n", w[0]);
    }
    return 0;
}
