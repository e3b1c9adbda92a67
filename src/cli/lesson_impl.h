/* lesson_impl.h — what lesson_view.c and lesson_layout.c share (private to
 * src/cli). */
#ifndef QLENS_CLI_LESSON_IMPL_H
#define QLENS_CLI_LESSON_IMPL_H

#include "qlens/lessonview.h"

static inline ql_lv_block *blk(ql_lesson_run *r, int step, int block)
{
	return &r->blocks[step][block];
}

/* Runs a task's current words with --json and checks them (the result in
 * its ql_lv_block; a met task is marked done and saved). */
void ql_lesson_task_check(ql_lesson_run *r, int step, int block);

#endif
