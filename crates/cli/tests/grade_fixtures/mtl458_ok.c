/* mtl458_ok.c: a correct MTL458 student, written for the tests of `vmsim grade --mtl458`: the
 * seven functions of the assignment (and print_page_table) with the project's deterministic
 * choices (docs/mtl458.md): lowest free pid from 0, lowest free frames first in page order,
 * eager fork, zero-filled pages, kills through error_no.
 * Built with BUG_FORK_SHARES (see mtl458_broken.c), fork maps the parent's frames instead of
 * copying them: the child sees the parent's later writes. */
#include <string.h>
#include <stdio.h>

#include "mmu.h"

unsigned char RAM[RAM_SIZE];
int error_no;

#define FRAMES (RAM_SIZE / PAGE_SIZE)
#define FIRST_USER_FRAME (OS_MEM_SIZE / PAGE_SIZE)
#define PAGES (PS_VIRTUAL_MEM_SIZE / PAGE_SIZE)
#define PRESENT 8

/* The OS region holds the process table and the frame bitmap. */
struct os {
    int live[MAX_PROCS];
    struct PCB pcb[MAX_PROCS];
    unsigned char used[FRAMES];
};
#define OS ((struct os *)RAM)

static page_table_entry make(int frame, int flags) {
    return ((page_table_entry)frame << 4) | PRESENT | (flags & 7);
}

static int free_frames(void) {
    int n = 0;
    for (int f = FIRST_USER_FRAME; f < FRAMES; f++) n += !OS->used[f];
    return n;
}

static int take_frame(void) {
    for (int f = FIRST_USER_FRAME; f < FRAMES; f++)
        if (!OS->used[f]) {
            OS->used[f] = 1;
            memset(RAM + (size_t)f * PAGE_SIZE, 0, PAGE_SIZE);
            return f;
        }
    return -1;
}

static int new_pid(void) {
    for (int p = 0; p < MAX_PROCS; p++)
        if (!OS->live[p]) return p;
    return -1;
}

static void kill(int pid) {
    exit_ps(pid);
    error_no = ERR_SEG_FAULT;
}

void os_init() {
    memset(RAM, 0, sizeof(struct os));
}

int create_ps(int code_size, int ro_data_size, int rw_data_size, int max_stack_size, unsigned char *code_and_ro_data) {
    int pid = new_pid();
    int code = code_size / PAGE_SIZE, ro = ro_data_size / PAGE_SIZE, rw = rw_data_size / PAGE_SIZE;
    int stack = max_stack_size / PAGE_SIZE;
    if (pid < 0 || free_frames() < code + ro + rw + stack) return -1;
    OS->live[pid] = 1;
    page_table_entry *pt = OS->pcb[pid].page_table;
    memset(pt, 0, PAGES * sizeof *pt);
    OS->pcb[pid].pid = pid;
    int page = 0;
    for (int i = 0; i < code; i++) pt[page++] = make(take_frame(), O_READ | O_EX);
    for (int i = 0; i < ro; i++) pt[page++] = make(take_frame(), O_READ);
    for (int i = 0; i < rw; i++) pt[page++] = make(take_frame(), O_READ | O_WRITE);
    for (int i = PAGES - stack; i < PAGES; i++) pt[i] = make(take_frame(), O_READ | O_WRITE);
    for (int i = 0; i < code_size + ro_data_size; i++) {
        page_table_entry e = pt[i / PAGE_SIZE];
        RAM[(size_t)pte_to_frame_num(e) * PAGE_SIZE + i % PAGE_SIZE] = code_and_ro_data[i];
    }
    return pid;
}

void exit_ps(int pid) {
    if (pid < 0 || pid >= MAX_PROCS || !OS->live[pid]) return;
    page_table_entry *pt = OS->pcb[pid].page_table;
    for (int i = 0; i < PAGES; i++) {
        if (is_present(pt[i])) OS->used[pte_to_frame_num(pt[i])] = 0;
        pt[i] = 0;
    }
    OS->live[pid] = 0;
}

int fork_ps(int pid) {
    int child = new_pid();
    if (child < 0) return -1;
    page_table_entry *from = OS->pcb[pid].page_table, *to = OS->pcb[child].page_table;
    OS->live[child] = 1;
    OS->pcb[child].pid = child;
    for (int i = 0; i < PAGES; i++) {
        if (!is_present(from[i])) {
            to[i] = 0;
            continue;
        }
#ifdef BUG_FORK_SHARES
        to[i] = from[i];
#else
        int f = take_frame();
        memcpy(RAM + (size_t)f * PAGE_SIZE, RAM + (size_t)pte_to_frame_num(from[i]) * PAGE_SIZE, PAGE_SIZE);
        to[i] = make(f, (int)(from[i] & 7));
#endif
    }
    return child;
}

void allocate_pages(int pid, int vmem_addr, int num_pages, int flags) {
    int first = vmem_addr / PAGE_SIZE;
    page_table_entry *pt = OS->pcb[pid].page_table;
    if (first + num_pages > PAGES) return kill(pid);
    for (int i = first; i < first + num_pages; i++)
        if (is_present(pt[i])) return kill(pid);
    for (int i = first; i < first + num_pages; i++) pt[i] = make(take_frame(), flags);
}

void deallocate_pages(int pid, int vmem_addr, int num_pages) {
    int first = vmem_addr / PAGE_SIZE;
    page_table_entry *pt = OS->pcb[pid].page_table;
    if (first + num_pages > PAGES) return kill(pid);
    for (int i = first; i < first + num_pages; i++)
        if (!is_present(pt[i])) return kill(pid);
    for (int i = first; i < first + num_pages; i++) {
        OS->used[pte_to_frame_num(pt[i])] = 0;
        pt[i] = 0;
    }
}

unsigned char read_mem(int pid, int vmem_addr) {
    page_table_entry e = OS->pcb[pid].page_table[vmem_addr / PAGE_SIZE];
    if (!OS->live[pid] || !is_present(e) || !is_readable(e)) {
        kill(pid);
        return 0;
    }
    return RAM[(size_t)pte_to_frame_num(e) * PAGE_SIZE + vmem_addr % PAGE_SIZE];
}

void write_mem(int pid, int vmem_addr, unsigned char byte) {
    page_table_entry e = OS->pcb[pid].page_table[vmem_addr / PAGE_SIZE];
    if (!OS->live[pid] || !is_present(e) || !is_writeable(e)) return kill(pid);
    RAM[(size_t)pte_to_frame_num(e) * PAGE_SIZE + vmem_addr % PAGE_SIZE] = byte;
}

int pte_to_frame_num(page_table_entry pte) { return (int)(pte >> 4); }
int is_readable(page_table_entry pte) { return pte & O_READ; }
int is_writeable(page_table_entry pte) { return (pte & O_WRITE) != 0; }
int is_executable(page_table_entry pte) { return (pte & O_EX) != 0; }
int is_present(page_table_entry pte) { return (pte & PRESENT) != 0; }

void print_page_table(int pid) {
    page_table_entry *pt = OS->pcb[pid].page_table;
    puts("------ Printing page table-------");
    for (int i = 0; i < PAGES; i++) {
        page_table_entry e = pt[i];
        printf("Page num: %d, frame num: %d, R:%d, W:%d, X:%d, P%d\n", i, is_present(e) ? pte_to_frame_num(e) : 0,
               is_readable(e), is_writeable(e), is_executable(e), is_present(e));
    }
}
