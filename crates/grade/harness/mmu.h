/* mmu.h: the interface of the MTL458 memory-virtualisation assignment, as the harness of
 * `vmsim grade --mtl458` compiles a student's file against it. The names, signatures and
 * constants are the assignment's; a student who extended `struct PCB` passes their own
 * header with `--header`. */
#ifndef VMSIM_MTL458_MMU_H
#define VMSIM_MTL458_MMU_H

#define RAM_SIZE (200 * 1024 * 1024)          /* the machine's RAM, bytes */
#define OS_MEM_SIZE (72 * 1024 * 1024)        /* the OS region at the start of RAM, bytes */
#define PAGE_SIZE (4 * 1024)                  /* bytes per page and per frame */
#define PS_VIRTUAL_MEM_SIZE (4 * 1024 * 1024) /* one process's virtual memory, bytes */
#define MAX_PROCS 100                         /* live processes at a time */

/* One page-table entry: 32 bits, their meaning is the student's choice. */
typedef unsigned int page_table_entry;
#define PAGE_TABLE_ENTRY_SIZE sizeof(page_table_entry)

/* A process's control block, kept in the OS region. Students may add fields. */
struct PCB {
    int pid;
    page_table_entry page_table[PS_VIRTUAL_MEM_SIZE / PAGE_SIZE];
};

/* Protection flags of allocate_pages. */
enum PAGE_PROTECTIONS { O_READ = 1, O_WRITE = 2, O_EX = 4 };

/* What error_no is set to when a process is killed. */
enum ERROR { ERR_SEG_FAULT };

void os_init();
int create_ps(int code_size, int ro_data_size, int rw_data_size, int max_stack_size,
              unsigned char *code_and_ro_data);
void exit_ps(int pid);
int fork_ps(int pid);
void allocate_pages(int pid, int vmem_addr, int num_pages, int flags);
void deallocate_pages(int pid, int vmem_addr, int num_pages);
unsigned char read_mem(int pid, int vmem_addr);
void write_mem(int pid, int vmem_addr, unsigned char byte);

int pte_to_frame_num(page_table_entry pte);
int is_readable(page_table_entry pte);
int is_writeable(page_table_entry pte);
int is_executable(page_table_entry pte);
int is_present(page_table_entry pte);

void print_page_table(int pid);

#endif
