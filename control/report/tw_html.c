/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_html: self-contained HTML with inline SVG charts.  See tw_html.h.
 *
 * Chart geometry is fixed (a viewBox the CSS scales to the page width):
 * the plot area, "nice" ticks (1, 2, 5 x 10^k) on linear axes and the
 * same multiples on logarithmic ones, so delays spanning decades stay
 * readable.
 */
#include "tw_html.h"

#include <math.h>
#include <string.h>

#include "tw_utf8.h"

/* ---- text ---- */

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

void tw_html_text(FILE *f, const char *s)
{
	if (!s)
		return;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		const char *ent = NULL;
		switch (*p) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			ent = "&#39;";
			break;
		default:
			break;
		}
		if (ent) {
			fputs(ent, f);
			p++;
			continue;
		}
		/* C0 and C1 controls are parse errors in HTML text (WHATWG HTML
		 * §13.2.3.5); tab and newline are fine. */
		size_t n = tw_utf8_seq(p);
		bool ctl = (*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f ||
		           (n == 2 && p[0] == 0xc2 && p[1] < 0xa0);
		if (!n || ctl) {
			fputs(REPLACEMENT, f);
			p += n ? n : 1;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
}

/* An attribute: ` name="escaped value"`. */
static void attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s=\"", name);
	tw_html_text(f, value);
	fputc('"', f);
}

/* ---- document ---- */

/* No url(), no @import: the page must not fetch anything. */
static const char css[] =
    "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;padding:0 1em;"
    "color:#222;background:#fff}\n"
    "h1{font-size:1.4em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}"
    "h3{font-size:1.05em}\n"
    "p.sub{color:#555;margin-top:-.5em}p.note{color:#555;font-size:.9em}"
    "p.warn{color:#a40;font-weight:bold}\n"
    "table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}"
    "th,td{padding:.2em .6em;border-bottom:1px solid #e4e4e4;text-align:right;"
    "white-space:nowrap}\n"
    "th:first-child,td.t{text-align:left}thead th{border-bottom:2px solid #999}\n"
    "figure.chart{margin:1em 0 2em}figcaption{font-weight:bold;margin-bottom:.3em}\n"
    "figure.chart svg{width:100%;height:auto;display:block}\n"
    "svg text{font-size:11px;fill:#444}svg .grid line{stroke:#e8e8e8}"
    "svg .frame{stroke:#888;fill:none}svg text.empty{font-size:16px;fill:#999}\n"
    "svg .series path{fill:none;stroke-width:1.5}svg .series rect{stroke:none}\n"
    ".c0{stroke:#1f77b4;fill:#1f77b4;color:#1f77b4}.c1{stroke:#d62728;fill:#d62728;"
    "color:#d62728}\n"
    ".c2{stroke:#2ca02c;fill:#2ca02c;color:#2ca02c}.c3{stroke:#9467bd;fill:#9467bd;"
    "color:#9467bd}\n"
    ".legend span{margin-right:1.5em;font-size:.9em}.legend b{display:inline-block;"
    "width:.9em;height:.9em;margin-right:.3em;background:currentColor;vertical-align:-.1em}\n";

void tw_html_begin(FILE *f, const char *title, const char *subtitle)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>",
	      f);
	tw_html_text(f, title);
	fputs("</title>\n<style>\n", f);
	fputs(css, f);
	fputs("</style>\n</head>\n<body>\n<h1>", f);
	tw_html_text(f, title);
	fputs("</h1>\n", f);
	if (subtitle)
		tw_html_p(f, "sub", subtitle);
}

enum tw_err tw_html_end(FILE *f)
{
	fputs("</body>\n</html>\n", f);
	return fflush(f) != 0 || ferror(f) ? TW_E_SYS : TW_OK;
}

void tw_html_section_begin(FILE *f, const char *id, const char *heading)
{
	fputs("<section", f);
	if (id)
		attr(f, "id", id);
	fputs(">\n", f);
	if (heading) {
		fputs("<h2>", f);
		tw_html_text(f, heading);
		fputs("</h2>\n", f);
	}
}

void tw_html_section_end(FILE *f)
{
	fputs("</section>\n", f);
}

void tw_html_h3(FILE *f, const char *text)
{
	fputs("<h3>", f);
	tw_html_text(f, text);
	fputs("</h3>\n", f);
}

void tw_html_p(FILE *f, const char *cls, const char *text)
{
	fputs("<p", f);
	if (cls)
		attr(f, "class", cls);
	fputc('>', f);
	tw_html_text(f, text);
	fputs("</p>\n", f);
}

/* ---- tables ---- */

void tw_html_table_begin(FILE *f, const char *cls, const char *const *heads, size_t n)
{
	fputs("<table", f);
	if (cls)
		attr(f, "class", cls);
	fputs(">\n<thead><tr>", f);
	for (size_t i = 0; i < n; i++) {
		fputs("<th>", f);
		tw_html_text(f, heads[i]);
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
}

void tw_html_table_end(FILE *f)
{
	fputs("</tbody>\n</table>\n", f);
}

void tw_html_tr_begin(FILE *f)
{
	fputs("<tr>", f);
}

void tw_html_tr_end(FILE *f)
{
	fputs("</tr>\n", f);
}

void tw_html_th(FILE *f, const char *text)
{
	fputs("<th>", f);
	tw_html_text(f, text);
	fputs("</th>", f);
}

void tw_html_td(FILE *f, const char *text)
{
	fputs("<td class=\"t\">", f);
	tw_html_text(f, text);
	fputs("</td>", f);
}

void tw_html_td_val(FILE *f, const char *text, const char *key, const char *value)
{
	fputs("<td", f);
	if (key) {
		attr(f, "data-key", key);
		attr(f, "data-value", value ? value : "null");
	}
	fputc('>', f);
	tw_html_text(f, text ? text : "-");
	fputs("</td>", f);
}

/* ---- numbers ---- */

const char *tw_html_fmt(char *buf, size_t cap, double v, enum tw_html_unit u)
{
	static const struct {
		double div;
		const char *u;
	} tu[] = {{1e0, "ns"}, {1e3, "\xc2\xb5s"}, {1e6, "ms"}, {1e9, "s"}};
	double a = fabs(v);
	switch (u) {
	case TW_HTML_UNIT_NS: {
		unsigned i = 0;
		while (i < 3 && a >= tu[i].div * 999.5)
			i++;
		double s = v / tu[i].div;
		snprintf(buf, cap, fabs(s) >= 1000 ? "%.0f %s" : "%.3g %s", s, tu[i].u);
		break;
	}
	case TW_HTML_UNIT_RATIO:
		snprintf(buf, cap, "%.3g %%", v * 100);
		break;
	case TW_HTML_UNIT_PPS:
		if (a >= 1e6)
			snprintf(buf, cap, "%.3gM pps", v / 1e6);
		else if (a >= 1e3)
			snprintf(buf, cap, "%.3gk pps", v / 1e3);
		else
			snprintf(buf, cap, "%.3g pps", v);
		break;
	default:
		snprintf(buf, cap, "%.6g", v);
		break;
	}
	return buf;
}

/* ---- charts ---- */

#define W      760.0
#define H      280.0
#define PX0    78.0 /* plot area */
#define PX1    722.0
#define PY0    14.0
#define PY1    228.0
#define NTICKS 12

struct scale {
	bool log;
	double lo, hi; /* domain (log10 of it when log) */
	double ticks[NTICKS * 3];
	size_t nticks;
};

static double tr(const struct scale *s, double v)
{
	return s->log ? log10(v) : v;
}

/* Position of v between p0 (domain low) and p1 (domain high). */
static double pos(const struct scale *s, double v, double p0, double p1)
{
	double t = (tr(s, v) - s->lo) / (s->hi - s->lo);
	return p0 + t * (p1 - p0);
}

/* 1, 2 or 5 x 10^k, the nearest at or above x (up) or below it. */
static double nice(double x, bool up)
{
	double e = floor(log10(x)), b = pow(10, e), m = x / b;
	static const double steps[] = {1, 2, 5, 10};
	if (up) {
		for (size_t i = 0; i < 4; i++)
			if (m <= steps[i] * (1 + 1e-9))
				return steps[i] * b;
		return 10 * b;
	}
	for (size_t i = 4; i-- > 0;)
		if (m >= steps[i] * (1 - 1e-9))
			return steps[i] * b;
	return b;
}

static void scale_linear(struct scale *s, double lo, double hi, bool zero, enum tw_html_unit u)
{
	if (zero) {
		lo = lo < 0 ? lo : 0;
		hi = hi > 0 ? hi : 0;
	}
	if (!(hi > lo)) {
		double d = lo == 0 ? (u == TW_HTML_UNIT_RATIO ? 0.01 : 1) : fabs(lo) * 0.1;
		lo = zero && lo >= 0 ? lo : lo - d;
		hi = hi + d;
	}
	double step = nice((hi - lo) / 5, true);
	s->log = false;
	s->lo = floor(lo / step + 1e-9) * step;
	s->hi = ceil(hi / step - 1e-9) * step;
	s->nticks = 0;
	for (double t = s->lo; t <= s->hi + step / 2 && s->nticks < NTICKS; t += step)
		s->ticks[s->nticks++] = fabs(t) < step * 1e-9 ? 0 : t;
}

static void scale_log(struct scale *s, double lo, double hi)
{
	/* Snap the ends to 1, 2, 5 x 10^k so that both carry a tick. */
	double a = nice(lo, false), b = nice(hi, true);
	if (!(b > a))
		b = nice(a * 1.5, true);
	s->log = true;
	s->lo = log10(a);
	s->hi = log10(b);
	s->nticks = 0;
	bool decades = s->hi - s->lo > 3; /* many decades: 10^k only */
	for (double e = floor(s->lo); e <= ceil(s->hi); e++) {
		static const double m[] = {1, 2, 5};
		for (size_t i = 0; i < 3; i++) {
			double v = m[i] * pow(10, e);
			double l = log10(v);
			if ((decades && i) || l < s->lo - 1e-9 || l > s->hi + 1e-9)
				continue;
			if (s->nticks < sizeof(s->ticks) / sizeof(s->ticks[0]))
				s->ticks[s->nticks++] = v;
		}
	}
}

static bool finite_pt(const struct tw_html_point *p, enum tw_html_kind k)
{
	return isfinite(p->x) && isfinite(p->y) && (k != TW_HTML_BARS || isfinite(p->x2));
}

/* Domain of the points on one axis (0: x, 1: y); false if none. */
static bool extent(const struct tw_html_chart *c, const struct tw_html_series *s, size_t ns,
                   int axis, double *lo, double *hi, bool *pos_only)
{
	bool any = false;
	*lo = INFINITY;
	*hi = -INFINITY;
	*pos_only = true;
	for (size_t i = 0; i < ns; i++) {
		for (size_t j = 0; j < s[i].n; j++) {
			const struct tw_html_point *p = &s[i].pts[j];
			if (!finite_pt(p, c->kind))
				continue;
			double v[2] = {axis ? p->y : p->x, axis ? p->y : p->x2};
			size_t nv = axis == 0 && c->kind == TW_HTML_BARS ? 2 : 1;
			for (size_t k = 0; k < nv; k++) {
				*lo = v[k] < *lo ? v[k] : *lo;
				*hi = v[k] > *hi ? v[k] : *hi;
				*pos_only &= v[k] > 0;
			}
			any = true;
		}
	}
	return any;
}

static void make_scale(struct scale *sc, const struct tw_html_axis *ax, bool any, double lo,
                       double hi, bool pos_only, bool zero)
{
	if (!any) {
		scale_linear(sc, 0, 1, true, ax->unit);
	} else if (ax->log && pos_only && !zero) {
		scale_log(sc, lo, hi);
	} else {
		scale_linear(sc, lo, hi, ax->zero || zero, ax->unit);
	}
}

static void label(FILE *f, double x, double y, const char *anchor, const char *text)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
	tw_html_text(f, text);
	fputs("</text>", f);
}

static void axes(FILE *f, const struct tw_html_chart *c, const struct scale *sx,
                 const struct scale *sy)
{
	char b[64];
	fputs("<g class=\"grid\">", f);
	for (size_t i = 0; i < sy->nticks; i++) {
		double y = pos(sy, sy->ticks[i], PY1, PY0);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", PX0, y, PX1,
		        y);
	}
	fputs("</g>\n<g class=\"axis\">", f);
	fprintf(f, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
	        PX0, PY0, PX1 - PX0, PY1 - PY0);
	for (size_t i = 0; i < sy->nticks; i++)
		label(f, PX0 - 6, pos(sy, sy->ticks[i], PY1, PY0) + 4, "end",
		      tw_html_fmt(b, sizeof(b), sy->ticks[i], c->y.unit));
	if (c->x.ncats) {
		/* Categories: every k-th name, so that at most 12 fit. */
		size_t k = (c->x.ncats + 11) / 12;
		for (size_t i = 0; i < c->x.ncats; i += k)
			label(f, pos(sx, (double)i, PX0, PX1), PY1 + 16, "middle",
			      c->x.cats[i] ? c->x.cats[i] : "");
	} else {
		for (size_t i = 0; i < sx->nticks; i++)
			label(f, pos(sx, sx->ticks[i], PX0, PX1), PY1 + 16, "middle",
			      tw_html_fmt(b, sizeof(b), sx->ticks[i], c->x.unit));
	}
	fputs("</g>\n", f);
	if (c->x.label)
		label(f, (PX0 + PX1) / 2, H - 12, "middle", c->x.label);
	if (c->y.label) {
		fprintf(
		    f, "<text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\">",
		    (PY0 + PY1) / 2);
		tw_html_text(f, c->y.label);
		fputs("</text>\n", f);
	}
}

/* data-key / data-value of a point, and its tooltip. */
static void point_attrs(FILE *f, const struct tw_html_chart *c, const struct tw_html_series *s,
                        const struct tw_html_point *p)
{
	char v[64], a[64], b[64];
	if (s->key_prefix && p->key_idx >= 0) {
		fputs(" data-key=\"", f);
		tw_html_text(f, s->key_prefix);
		fprintf(f, "%lld", (long long)p->key_idx);
		tw_html_text(f, s->key_suffix);
		snprintf(v, sizeof(v), "%.*f", (int)s->value_decimals, p->y);
		fprintf(f, "\" data-value=\"%s\"", v);
	} else {
		snprintf(v, sizeof(v), "%.*f", (int)s->value_decimals, p->y);
		fprintf(f, " data-y=\"%s\"", v);
	}
	fputs("><title>", f);
	if (c->x.ncats && p->x >= 0 && (size_t)p->x < c->x.ncats && c->x.cats[(size_t)p->x])
		tw_html_text(f, c->x.cats[(size_t)p->x]);
	else
		tw_html_text(f, tw_html_fmt(a, sizeof(a), p->x, c->x.unit));
	if (c->kind == TW_HTML_BARS) {
		fputs(" .. ", f);
		tw_html_text(f, tw_html_fmt(a, sizeof(a), p->x2, c->x.unit));
	}
	fputs(": ", f);
	tw_html_text(f, tw_html_fmt(b, sizeof(b), p->y, c->y.unit));
	if (s->name) {
		fputs(" (", f);
		tw_html_text(f, s->name);
		fputc(')', f);
	}
	fputs("</title>", f);
}

static void series_lines(FILE *f, const struct tw_html_chart *c, const struct tw_html_series *s,
                         const struct scale *sx, const struct scale *sy)
{
	bool pen = false;
	fputs("<path d=\"", f);
	for (size_t j = 0; j < s->n; j++) {
		const struct tw_html_point *p = &s->pts[j];
		if (!finite_pt(p, c->kind)) {
			pen = false; /* a gap */
			continue;
		}
		fprintf(f, "%s%.1f %.1f", pen ? " L" : " M", pos(sx, p->x, PX0, PX1),
		        pos(sy, p->y, PY1, PY0));
		pen = true;
	}
	fputs("\"/>\n", f);
	double r = s->n > 300 ? 1.2 : 2.5;
	for (size_t j = 0; j < s->n; j++) {
		const struct tw_html_point *p = &s->pts[j];
		if (!finite_pt(p, c->kind))
			continue;
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"", pos(sx, p->x, PX0, PX1),
		        pos(sy, p->y, PY1, PY0), r);
		point_attrs(f, c, s, p);
		fputs("</circle>\n", f);
	}
}

static void series_bars(FILE *f, const struct tw_html_chart *c, const struct tw_html_series *s,
                        const struct scale *sx, const struct scale *sy)
{
	double y0 = pos(sy, sy->log ? pow(10, sy->lo) : (sy->lo > 0 ? sy->lo : 0), PY1, PY0);
	for (size_t j = 0; j < s->n; j++) {
		const struct tw_html_point *p = &s->pts[j];
		if (!finite_pt(p, c->kind))
			continue;
		double xa = pos(sx, p->x, PX0, PX1), xb = pos(sx, p->x2, PX0, PX1);
		double y = pos(sy, p->y, PY1, PY0);
		double w = xb - xa < 0.6 ? 0.6 : xb - xa; /* visible even when narrow */
		fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\"", xa,
		        y < y0 ? y : y0, w, fabs(y0 - y));
		point_attrs(f, c, s, p);
		fputs("</rect>\n", f);
	}
}

enum tw_err tw_html_chart(FILE *f, const struct tw_html_chart *c, const struct tw_html_series *s,
                          size_t ns)
{
	if (!f || !c || !c->id || (ns && !s) || ns > TW_HTML_SERIES_MAX ||
	    (c->kind != TW_HTML_LINES && c->kind != TW_HTML_BARS) || (c->x.ncats && !c->x.cats))
		return TW_E_ARG;
	for (size_t i = 0; i < ns; i++)
		if (s[i].n && !s[i].pts)
			return TW_E_ARG;
	struct scale sx, sy;
	double lo, hi;
	bool pos_only;
	bool any = extent(c, s, ns, 0, &lo, &hi, &pos_only);
	if (c->x.ncats) {
		sx.log = false;
		sx.lo = -0.5;
		sx.hi = (double)c->x.ncats - 0.5;
		sx.nticks = 0;
	} else {
		make_scale(&sx, &c->x, any, lo, hi, pos_only, false);
	}
	any = extent(c, s, ns, 1, &lo, &hi, &pos_only);
	/* Bars stand on zero. */
	make_scale(&sy, &c->y, any, lo, hi, pos_only, c->kind == TW_HTML_BARS);

	size_t total = 0;
	for (size_t i = 0; i < ns; i++)
		for (size_t j = 0; j < s[i].n; j++)
			total += finite_pt(&s[i].pts[j], c->kind);

	fputs("<figure class=\"chart\"", f);
	attr(f, "id", c->id);
	fputs(">\n<figcaption>", f);
	tw_html_text(f, c->title);
	fprintf(f, "</figcaption>\n<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\"", W, H);
	attr(f, "aria-label", c->title);
	fprintf(f, " data-points=\"%zu\">\n", total);
	axes(f, c, &sx, &sy);
	for (size_t i = 0; i < ns; i++) {
		size_t n = 0;
		for (size_t j = 0; j < s[i].n; j++)
			n += finite_pt(&s[i].pts[j], c->kind);
		fprintf(f, "<g class=\"series c%zu\"", i);
		attr(f, "data-name", s[i].name ? s[i].name : "");
		fprintf(f, " data-n=\"%zu\">\n", n);
		if (c->kind == TW_HTML_BARS)
			series_bars(f, c, &s[i], &sx, &sy);
		else
			series_lines(f, c, &s[i], &sx, &sy);
		fputs("</g>\n", f);
	}
	if (!total)
		fprintf(f,
		        "<text class=\"empty\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no "
		        "data</text>\n",
		        (PX0 + PX1) / 2, (PY0 + PY1) / 2);
	fputs("</svg>\n<div class=\"legend\">", f);
	for (size_t i = 0; i < ns && ns > 1; i++) {
		fprintf(f, "<span class=\"c%zu\"><b></b>", i);
		tw_html_text(f, s[i].name);
		fputs("</span>", f);
	}
	fputs("</div>\n</figure>\n", f);
	return ferror(f) ? TW_E_SYS : TW_OK;
}
