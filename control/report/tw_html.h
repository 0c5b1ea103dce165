/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_html: one self-contained HTML page with inline CSS and inline SVG
 * charts, for the --html reports of `twinhop measure` and `twinhop bench`
 * (docs/output.md "HTML").
 *
 * Self-contained means the page names nothing outside itself: no script, no
 * stylesheet link, no image, no font, no URL of any kind (inline SVG in
 * HTML needs no namespace URL either).  A browser opening it fetches
 * nothing.  Charts are drawn here, from the caller's points; there is no
 * chart library.
 *
 * Numbers.  A table cell or chart point that shows a value of the JSON
 * report carries it twice: as text for people, and exactly in data-value
 * with the JSON path in data-key ("end.summary.rtt.p50_ns",
 * "intervals.3.loss.round_trip.ratio").  tests/e2e/html-report.sh compares
 * both with the JSON document of the same run.
 *
 * Every string is escaped (tw_html_text); invalid UTF-8 becomes U+FFFD.
 * Functions write to a FILE; a write error shows in ferror() and in the
 * return value of tw_html_end().
 */
#ifndef TW_HTML_H
#define TW_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tw_err.h"

/* Escaped text for element content and quoted attribute values: & < > " '
 * as entities; control characters other than tab and newline, and invalid
 * UTF-8, as U+FFFD.  NULL writes nothing. */
void tw_html_text(FILE *f, const char *s);

/* <!DOCTYPE html> ... <body><h1>title</h1>; subtitle may be NULL. */
void tw_html_begin(FILE *f, const char *title, const char *subtitle);
/* </body></html>, flush; TW_E_SYS if anything failed to write. */
enum tw_err tw_html_end(FILE *f);

/* Block elements around escaped text.  id/cls may be NULL. */
void tw_html_section_begin(FILE *f, const char *id, const char *heading);
void tw_html_section_end(FILE *f);
void tw_html_h3(FILE *f, const char *text);
void tw_html_p(FILE *f, const char *cls, const char *text);

/* Tables: begin with the column heads, then rows of cells. */
void tw_html_table_begin(FILE *f, const char *cls, const char *const *heads, size_t n);
void tw_html_table_end(FILE *f);
void tw_html_tr_begin(FILE *f);
void tw_html_tr_end(FILE *f);
/* A row head (th) or plain text cell. */
void tw_html_th(FILE *f, const char *text);
void tw_html_td(FILE *f, const char *text);
/* A cell showing a JSON value: text for people ("-" if NULL), key its JSON
 * path, value its exact JSON text without quotes (NULL: "null"). */
void tw_html_td_val(FILE *f, const char *text, const char *key, const char *value);

/* ---- charts ---- */

enum tw_html_unit {
	TW_HTML_UNIT_NUM,   /* plain number */
	TW_HTML_UNIT_NS,    /* nanoseconds, shown auto-scaled: "1.23 ms" */
	TW_HTML_UNIT_RATIO, /* 0..1, shown as a percentage */
	TW_HTML_UNIT_PPS,   /* packets per second */
};

struct tw_html_axis {
	const char *label;
	enum tw_html_unit unit;
	bool log;  /* logarithmic, when every value is > 0 (else linear) */
	bool zero; /* linear: the range includes 0 */
	/* Categories: tick i at x = i shows cats[i] (x axis of a line chart). */
	const char *const *cats;
	size_t ncats;
};

/* A point of a line (x, y) or a bar (x .. x2, height y).  A NaN y is a gap
 * in the line and no point.  key_idx >= 0 gives the point a data-key of
 * series key_prefix, key_idx, key_suffix and data-value y. */
struct tw_html_point {
	double x, x2, y;
	int64_t key_idx;
};

struct tw_html_series {
	const char *name; /* legend */
	const struct tw_html_point *pts;
	size_t n;
	const char *key_prefix, *key_suffix; /* NULL: no data-key */
	unsigned value_decimals;             /* of data-value */
};

enum tw_html_kind {
	TW_HTML_LINES, /* per series a path through its points, one circle per point */
	TW_HTML_BARS,  /* one rect per point, x .. x2 wide */
};

struct tw_html_chart {
	const char *id; /* element id of the figure */
	const char *title;
	enum tw_html_kind kind;
	struct tw_html_axis x, y;
};

/* Series drawn by a chart: at most this many (colours). */
#define TW_HTML_SERIES_MAX 4

/* One <figure> with the title, the SVG and a legend.  Each series is a
 * <g class="series" data-n="N"> holding exactly N circles (LINES) or rects
 * (BARS), N being its points with a finite x and y (and x2 for bars).  No
 * point at all: the frame with "no data".  TW_E_ARG on a bad argument. */
enum tw_err tw_html_chart(FILE *f, const struct tw_html_chart *c, const struct tw_html_series *s,
                          size_t ns);

/* The label of a value in a unit: "1.23 ms", "0.5 %", "1000 pps". */
const char *tw_html_fmt(char *buf, size_t cap, double v, enum tw_html_unit u);

#endif
