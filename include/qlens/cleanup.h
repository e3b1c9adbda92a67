/* cleanup.h — temporary files removed when a signal ends the process.
 *
 * The writers (src/io/writer.c) build every output in a temporary file
 * beside it and rename it into place. If SIGINT, SIGTERM, SIGHUP or SIGQUIT
 * arrives meanwhile, the temporary file (up to the size of the output)
 * must not be left behind: the writer registers its name here while it
 * exists, and the handlers installed by the command line remove every
 * registered file and exit with 128 + the signal's number. OUT itself is
 * untouched: it is only ever replaced by the rename.
 *
 *   sigset_t old;
 *   ql_cleanup_block(&old);          // no signal between create and add
 *   fd = mkstemp(tmp); slot = ql_cleanup_add(tmp);
 *   ql_cleanup_unblock(&old);
 *   ... write ...; rename(tmp, out);
 *   ql_cleanup_remove(slot);
 */
#ifndef QLENS_CLEANUP_H
#define QLENS_CLEANUP_H

#include <signal.h>

/* Registers path (copied) for removal. Returns a slot (>= 0), or -1 when
 * the table of QL_CLEANUP_SLOTS is full or the path too long: the file is
 * then simply not removed on a signal. */
#define QL_CLEANUP_SLOTS 8
int ql_cleanup_add(const char *path);
/* Forgets a slot (after the rename or the unlink); -1 is ignored. */
void ql_cleanup_remove(int slot);

/* Async-signal-safe: unlinks every registered file. For fatal-signal
 * handlers (the CLI's below, the TUI's). */
void ql_cleanup_run(void);

/* Installs the command line's handlers for SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT: ql_cleanup_run(), then _exit(128 + signal). */
void ql_cleanup_install_handlers(void);

/* Blocks those four signals in the calling thread (old receives the mask
 * to restore), and restores it. */
void ql_cleanup_block(sigset_t *old);
void ql_cleanup_unblock(const sigset_t *old);

#endif
