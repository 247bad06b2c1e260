/* mtl458_harness.c: replays a `vmsim --profile mtl458` script through a student's seven
 * functions and prints the transcript lines the shell prints, so that `vmsim grade --mtl458`
 * can compare them byte for byte with the reference.
 *
 * Usage: mtl458_harness SCRIPT
 *
 * The transcript goes to the harness's standard output. The student's own `printf`s go to
 * /dev/null (students debug on stdout), except inside print_page_table, whose output is the
 * transcript. Commands the assignment has no function for (fork_policy, stats, check, help)
 * end the run with status 3; `vmsim grade` refuses such scripts before running the harness.
 *
 * A kill is recognised the way the assignment's skeleton reports it: the function sets
 * `error_no` to ERR_SEG_FAULT. The harness sets it to -1 before every call. */
#define _GNU_SOURCE
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mmu.h"

extern int error_no;

/* Where the transcript goes (the original standard output), and /dev/null. */
static FILE *transcript;
static int transcript_fd = -1;
static int null_fd = -1;

#define MAX_WORDS 7

/* Splits `line` in place at white space, up to a word starting with '#'. */
static int split(char *line, char **words) {
    int n = 0;
    char *save = NULL;
    for (char *w = strtok_r(line, " \t\n\v\f\r", &save); w; w = strtok_r(NULL, " \t\n\v\f\r", &save)) {
        if (w[0] == '#') break;
        if (n == MAX_WORDS) return MAX_WORDS + 1;
        words[n++] = w;
    }
    return n;
}

/* A decimal or 0x hexadecimal number, optionally followed by K, M, KiB or MiB when `sizes`.
 * Returns 0 and sets *ok to 0 when the word is not one. */
static unsigned long long number(const char *w, int sizes, int *ok) {
    int base = 10;
    const char *p = w;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!*p) {
        *ok = 0;
        return 0;
    }
    char *end;
    unsigned long long n = strtoull(p, &end, base);
    if (end == p) {
        *ok = 0;
        return 0;
    }
    if (sizes && *end) {
        if (!strcasecmp(end, "k") || !strcasecmp(end, "kib")) return n << 10;
        if (!strcasecmp(end, "m") || !strcasecmp(end, "mib")) return n << 20;
    }
    if (*end) *ok = 0;
    return n;
}

/* FLAGS: a number (O_READ | O_WRITE | O_EX) or letters from rwx. */
static int flags(const char *w, int *ok) {
    if (isdigit((unsigned char)w[0])) return (int)number(w, 0, ok);
    int f = 0;
    for (const char *p = w; *p; p++) {
        switch (tolower((unsigned char)*p)) {
        case 'r': f |= O_READ; break;
        case 'w': f |= O_WRITE; break;
        case 'x': f |= O_EX; break;
        default: *ok = 0;
        }
    }
    return f;
}

/* Reads at most `cap` bytes of `path` (relative to `dir`) into a zeroed buffer of `cap`. */
static unsigned char *read_data(const char *dir, const char *name, size_t cap) {
    unsigned char *buf = calloc(cap + 1, 1);
    if (!buf) return NULL;
    char path[8192];
    if (name[0] == '/') snprintf(path, sizeof path, "%s", name);
    else snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "mtl458 harness: cannot read %s\n", path);
        exit(2);
    }
    size_t got = fread(buf, 1, cap, f);
    (void)got;
    fclose(f);
    return buf;
}

static void emit(const char *fmt, int a, int b) {
    fprintf(transcript, fmt, a, b);
    fflush(transcript);
}

static void killed(int pid) {
    emit("segmentation fault: pid %d killed\n", pid, 0);
}

/* The student's print_page_table writes the transcript: its stdout is pointed there. */
static void page_table(int pid) {
    fflush(transcript);
    fflush(stdout);
    dup2(transcript_fd, STDOUT_FILENO);
    print_page_table(pid);
    fflush(stdout);
    dup2(null_fd, STDOUT_FILENO);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SCRIPT\n", argv[0]);
        return 2;
    }
    FILE *script = fopen(argv[1], "r");
    if (!script) {
        perror(argv[1]);
        return 2;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", argv[1]);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");

    fflush(stdout);
    transcript_fd = dup(STDOUT_FILENO);
    null_fd = open("/dev/null", O_WRONLY);
    transcript = fdopen(transcript_fd, "w");
    if (transcript_fd < 0 || null_fd < 0 || !transcript) {
        perror("mtl458 harness");
        return 2;
    }
    dup2(null_fd, STDOUT_FILENO);

    os_init();
    char *line = NULL;
    size_t cap = 0;
    int line_no = 0;
    while (getline(&line, &cap, script) >= 0) {
        line_no++;
        char *w[MAX_WORDS + 1];
        int n = split(line, w);
        if (n == 0) continue;
        int ok = 1;
        const char *c = w[0];
        error_no = -1;
        if (!strcasecmp(c, "create_ps") && (n == 5 || n == 6)) {
            int code = (int)number(w[1], 1, &ok), ro = (int)number(w[2], 1, &ok);
            int rw = (int)number(w[3], 1, &ok), stack = (int)number(w[4], 1, &ok);
            unsigned char *data = n == 6 ? read_data(dir, w[5], (size_t)code + ro) : calloc((size_t)code + ro + 1, 1);
            if (!ok || !data) goto bad;
            int pid = create_ps(code, ro, rw, stack, data);
            free(data);
            emit("created pid %d\n", pid, 0);
        } else if (!strcasecmp(c, "exit_ps") && n == 2) {
            int pid = (int)number(w[1], 0, &ok);
            if (!ok) goto bad;
            exit_ps(pid);
        } else if (!strcasecmp(c, "fork_ps") && n == 2) {
            int pid = (int)number(w[1], 0, &ok);
            if (!ok) goto bad;
            int child = fork_ps(pid);
            emit("forked pid %d: child pid %d\n", pid, child);
        } else if (!strcasecmp(c, "allocate_pages") && n == 5) {
            int pid = (int)number(w[1], 0, &ok), addr = (int)number(w[2], 1, &ok);
            int count = (int)number(w[3], 0, &ok), f = flags(w[4], &ok);
            if (!ok) goto bad;
            allocate_pages(pid, addr, count, f);
            if (error_no == ERR_SEG_FAULT) killed(pid);
        } else if (!strcasecmp(c, "deallocate_pages") && n == 4) {
            int pid = (int)number(w[1], 0, &ok), addr = (int)number(w[2], 1, &ok);
            int count = (int)number(w[3], 0, &ok);
            if (!ok) goto bad;
            deallocate_pages(pid, addr, count);
            if (error_no == ERR_SEG_FAULT) killed(pid);
        } else if (!strcasecmp(c, "read_mem") && n == 3) {
            int pid = (int)number(w[1], 0, &ok), addr = (int)number(w[2], 1, &ok);
            if (!ok) goto bad;
            unsigned char b = read_mem(pid, addr);
            if (error_no == ERR_SEG_FAULT) killed(pid);
            else emit("0x%02x\n", b, 0);
        } else if (!strcasecmp(c, "write_mem") && n == 4) {
            int pid = (int)number(w[1], 0, &ok), addr = (int)number(w[2], 1, &ok);
            int byte = (int)number(w[3], 0, &ok);
            if (!ok || byte > 255) goto bad;
            write_mem(pid, addr, (unsigned char)byte);
            if (error_no == ERR_SEG_FAULT) killed(pid);
        } else if (!strcasecmp(c, "print_page_table") && n == 2) {
            int pid = (int)number(w[1], 0, &ok);
            if (!ok) goto bad;
            page_table(pid);
        } else if ((!strcasecmp(c, "exit") || !strcasecmp(c, "quit")) && n == 1) {
            break;
        } else {
            fprintf(stderr, "mtl458 harness: line %d: '%s' is not a call the harness can replay\n", line_no, c);
            return 3;
        }
        continue;
    bad:
        fprintf(stderr, "mtl458 harness: line %d: bad arguments\n", line_no);
        return 3;
    }
    free(line);
    fclose(transcript);
    return 0;
}
