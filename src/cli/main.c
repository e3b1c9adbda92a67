/* main.c — qlens's entry point: everything happens in ql_main (commands.c),
 * so that the tests can link the whole program without this file. */
#include <locale.h>

#include "qlens/command.h"

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C"); /* numbers in output and input always use "." */
	return ql_main(argc, argv);
}
