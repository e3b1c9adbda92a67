/* quant_screen.h — the quantization explorer's state, shared by its keys
 * (screen_quant.c) and its drawing (quant_draw.c); private to src/tui.
 */
#ifndef QLENS_TUI_QUANT_SCREEN_H
#define QLENS_TUI_QUANT_SCREEN_H

#include "tui_impl.h"
#include "qx.h"

typedef struct quant_state {
	ql_app *app;       /* for the 'reading ...' frame a long load shows first */
	bool noted;        /* that frame was shown: its note goes when the load ends */
	char file[512], tensor[256], shape_text[64];
	int64_t shape[QL_MAX_DIMS];
	int ndim;
	int64_t n;
	int sample; /* index into samples, -1: another file */
	qx_worker *w;
	ql_scheme scheme, good; /* asked for; of the result shown */
	int threads;
	bool outlier, logc, manual;
	bool busy; /* the worker was busy at the last tick */
	char failure[QL_ERROR_MAX]; /* the last result's error, if it failed */
	unsigned failed;            /* the job whose result that was */
	float clip_lo, clip_hi;
	int64_t unit;
	qx_result *res;
	bool have_prev;
	ql_metrics prev;
	double prev_bpw;
	uint64_t prev_bytes;
	float prev_scale;
	unsigned want;
	double submitted_ms; /* when the newest job went (CLOCK_MONOTONIC) */
	double note_ms;      /* when the progress note was last redrawn */
	double zoom, centre;
	/* The cursor is a value, kept across resizes, zoom and new results;
	 * its column, the plot's width and its ends are those of the last
	 * draw (cursor -1: not placed yet, then it goes to 0's column). */
	double cursor_x;
	int cursor, width;
	double view_lo, view_hi;
} quant_state;

/* Draws the explorer into w (quant_draw.c). */
void ql_quant_draw(ql_app *app, void *st, WINDOW *w);

#endif
