#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Open a twinhop --html page in headless Chromium (Debian chromium +
chromium-driver, python3-selenium) and check it against the JSON report of
the same run:

  - the page names nothing outside itself (no http(s) URL, script, link,
    src, url()) and the browser requested nothing but the file (the
    DevTools network log of the page, and its resource timing entries);
  - the browser console has no error;
  - every chart series rendered exactly as many circles / bars as it
    declares, each with a non-empty box inside its SVG, and as many as the
    JSON (per interval, per step) and OpenMetrics (histogram buckets) say;
  - every value shown with a data-key equals the JSON value at that path,
    and the text of each table cell says the same number.

usage: check_html.py GROUP [-- GROUP ...], a GROUP being
         measure PAGE JSON OPENMETRICS   or   bench PAGE JSON
With several sessions JSON has one document per line and the page one
section per session, in the same order.
Prints "ok   - ..." / "FAIL - ..." lines; exit 1 on any failure."""
import json
import math
import os
import re
import shutil
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

FAILED = 0


def check(cond, what, detail=None):
    global FAILED
    if cond:
        print('ok   - ' + what)
    else:
        FAILED += 1
        print('FAIL - ' + what + ('' if detail is None else ': %s' % (detail,)))


def lookup(doc, path):
    v = doc
    for part in path.split('.'):
        if isinstance(v, list):
            i = int(part)
            if i >= len(v):
                raise KeyError(path)
            v = v[i]
        else:
            v = v[part]
    return v


UNITS = {'ns': 1, 'µs': 1e3, 'ms': 1e6, 's': 1e9, 'pps': 1, '%': 0.01}


def same_value(val, j):
    """data-value (a string) against the JSON value."""
    if j is None:
        return val == 'null'
    if isinstance(j, bool):
        return val == ('true' if j else 'false')
    if isinstance(j, str):
        return val == j
    try:
        v = float(val)
    except ValueError:
        return False
    if isinstance(j, int) and '.' not in val:
        return int(val) == j
    return abs(v - j) <= 1e-9 * max(1.0, abs(j))


def text_says(text, j):
    """The visible text of a cell shows the JSON number (3 significant
    digits for scaled units)."""
    if j is None:
        return text == '-'
    if isinstance(j, bool):
        return text == ('yes' if j else 'no')
    if isinstance(j, str):
        return text == j
    m = re.fullmatch(r'(-?[0-9.]+)(?: ?(ns|µs|ms|s|pps|%))?', text)
    if not m:
        return False
    unit = m.group(2)
    shown = float(m.group(1)) * UNITS.get(unit or '', 1)
    if unit is None:
        return shown == j
    # pps: rounded to an integer; times and percentages: 3 significant digits
    tol = 0.5 if unit == 'pps' else 0.0051 * abs(j)
    return abs(shown - j) <= tol + 1e-12


def om_buckets(path, family, session):
    """Non-empty histogram buckets of a family for one session in an
    OpenMetrics file."""
    n = 0
    for line in open(path):
        if line.startswith(family + '_bucket{') and 'le="+Inf"' not in line and \
                'session="%s"' % session in line:
            n += 1
    return n


def browser(user_dir):
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which('chromium')
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
              '--user-data-dir=' + user_dir, '--window-size=1200,900',
              # Nothing may be fetched; if something tried, it would not resolve.
              '--host-resolver-rules=MAP * ~NOTFOUND'):
        opts.add_argument(a)
    # browser: the console; performance: the DevTools Network events, i.e.
    # every request the page made, failed ones included.
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL', 'performance': 'ALL'})
    return webdriver.Chrome(service=Service(shutil.which('chromedriver')), options=opts)


JS_CHARTS = '''
var secs = Array.from(document.querySelectorAll('section'));
return Array.from(document.querySelectorAll('figure.chart')).map(function (fig) {
  var svg = fig.querySelector('svg'), sb = svg.getBoundingClientRect();
  return {id: fig.id, points: +svg.getAttribute('data-points'),
          sec: secs.indexOf(fig.closest('section')),
          svg_w: sb.width, svg_h: sb.height,
          series: Array.from(fig.querySelectorAll('g.series')).map(function (g) {
    var els = Array.from(g.querySelectorAll('circle, rect'));
    var drawn = els.filter(function (e) {
      var b = e.getBoundingClientRect();
      return b.width > 0 && b.left >= sb.left - 1 && b.right <= sb.right + 1 &&
             b.top >= sb.top - 1 && b.bottom <= sb.bottom + 1;
    }).length;
    return {name: g.getAttribute('data-name'), n: +g.getAttribute('data-n'),
            elements: els.length, drawn: drawn,
            ysum: els.reduce(function (s, e) { return s + (+e.getAttribute('data-y') || 0); }, 0)};
  })};
});'''

JS_VALUES = '''
var secs = Array.from(document.querySelectorAll('section'));
return Array.from(document.querySelectorAll('[data-key]')).map(function (e) {
  return [e.getAttribute('data-key'), e.getAttribute('data-value'), e.tagName.toLowerCase(),
          e.tagName === 'TD' ? e.textContent : null, secs.indexOf(e.closest('section'))];
});'''


def expected_measure(doc, om):
    iv = doc['intervals']
    rtt = sum(1 for i in iv if i['rtt']['n'] > 0)
    loss = sum(1 for i in iv if i['loss']['settled'] > 0)
    name = doc['start']['session']['name']
    r = om_buckets(om, 'twinhop_rtt_seconds', name)
    f = om_buckets(om, 'twinhop_forward_owd_seconds', name)
    b = om_buckets(om, 'twinhop_backward_owd_seconds', name)
    return {
        'rtt-intervals': {'p50': rtt, 'p99': rtt},
        'loss-intervals': {'loss': loss},
        'rtt-hist': {'packets': r},
        'rtt-cdf': {'round trip': r},
        'fwd-hist': {'packets': f},
        'bwd-hist': {'packets': b},
        'owd-cdf': {'forward': f, 'backward': b},
    }


def expected_bench(doc):
    st = doc['steps']
    rtt = sum(1 for s in st if s['rtt_p50_ns'] is not None)
    return {
        'steps-rtt': {'p50': rtt, 'p99': rtt, 'max': rtt},
        'steps-rate': {'requested': len(st), 'achieved': len(st)},
        'steps-loss': {'loss': sum(1 for s in st if s['loss_ratio'] is not None)},
    }


def check_page(drv, argv):
    """One page against its JSON (and OpenMetrics) in the open browser."""
    mode, page, jpath = argv[0:3]
    lines = [l for l in open(jpath) if l.strip()]
    try:
        docs = [json.loads(''.join(lines))]
    except ValueError:
        docs = [json.loads(l) for l in lines]  # several sessions: JSON Lines
    text = open(page, encoding='utf-8').read()
    outside = [w for w in ('http:', 'https:', 'url(', '<script', '<link', 'src=', 'href=',
                           '@import', '<iframe', '<object') if w in text]
    check(not outside, 'the page names nothing outside itself', outside)

    if mode == 'measure':
        # section k of the page is session k
        wants = [expected_measure(d, argv[3]) for d in docs]
        musthave = ['end.summary.sent', 'end.summary.received', 'end.summary.rtt.p50_ns',
                    'end.summary.rtt.p99_ns', 'end.summary.loss.round_trip.ratio',
                    'end.summary.forward_owd.p50_ns', 'intervals.0.rtt.p50_ns',
                    'end.run.rate_achieved_pps']
    else:
        doc = docs[0]
        wants = [expected_bench(doc)]
        musthave = ['profile', 'complete'] + ['steps.%d.%s' % (i, k) for i in
                                              range(len(doc['steps']))
                                              for k in ('name', 'sent', 'received', 'lost',
                                                        'rtt_p50_ns', 'rate_achieved_pps')]

    def doc_of(sec):
        """The JSON document (and its expectations) of a page section."""
        k = sec if mode == 'measure' else 0
        return (docs[k], wants[k]) if 0 <= k < len(docs) else (None, None)

    drv.get_log('performance')  # drop what came before this page
    url = 'file://' + os.path.abspath(page)
    drv.get(url)
    title = drv.title
    charts = drv.execute_script(JS_CHARTS)
    values = drv.execute_script(JS_VALUES)
    res = drv.execute_script("return performance.getEntriesByType('resource').map(e => e.name);")
    nav = drv.execute_script("return performance.getEntriesByType('navigation').map(e => e.name);")
    logs = drv.get_log('browser')  # this page's entries: get_log empties the buffer
    msgs = [json.loads(e['message'])['message'] for e in drv.get_log('performance')]
    # (the page's own requests: Chromium's start-up tab logs some too)
    requests = [m['params']['request']['url'] for m in msgs
                if m.get('method') == 'Network.requestWillBeSent' and
                m['params'].get('documentURL') == url]

    check(title.startswith('twinhop'), 'the page loaded (title %r)' % title)
    others = [u for u in requests if u != url]
    check(nav and all(n.startswith('file://') for n in nav) and not res and not others and
          url in requests, 'the browser requested nothing but the file (%d request(s))' %
          len(requests), res + others)
    errors = [l for l in logs if l.get('level') in ('SEVERE', 'ERROR')]
    check(not errors, 'no console errors (%d log entries)' % len(logs), errors[:3])

    # Charts: ids end with the names of want (measure ids carry the session).
    seen = {}
    for c in charts:
        doc, want = doc_of(c['sec'])
        kind = want and next((k for k in want if c['id'].endswith(k)), None)
        if kind is None:
            check(False, 'chart %s expected' % c['id'])
            continue
        seen[(c['sec'], kind)] = c
        kind_name = kind
        if len(docs) > 1:
            kind_name = 's%d/%s' % (c['sec'] + 1, kind)
        check(c['svg_w'] > 100 and c['svg_h'] > 50, '%s: SVG laid out (%.0fx%.0f)' %
              (kind_name, c['svg_w'], c['svg_h']))
        total = 0
        for s in c['series']:
            n_want = want[kind].get(s['name'])
            check(s['n'] == s['elements'] == s['drawn'] == n_want,
                  '%s/%s: %s points declared, %s elements, %s rendered, %s expected' %
                  (kind_name, s['name'], s['n'], s['elements'], s['drawn'], n_want))
            total += s['n']
        check(sorted(s['name'] for s in c['series']) == sorted(want[kind]),
              '%s: series %s' % (kind_name, sorted(want[kind])))
        check(c['points'] == total, '%s: data-points %d = the series\' sum' %
              (kind_name, c['points']))
        if kind == 'rtt-hist':
            n = doc['end']['summary']['rtt']['n']
            check(c['series'][0]['ysum'] == n, '%s: bars add up to %d RTT samples' %
                  (kind_name, n), c['series'][0]['ysum'])
    if mode == 'measure':
        every = sorted((k, kind) for k in range(len(wants)) for kind in wants[k])
        got = sorted(seen)
    else:
        every = sorted(wants[0])
        got = sorted(kind for _, kind in seen)
    check(got == every, 'every chart present: %d in %d section(s)' % (len(every), len(docs)), got)
    nonzero = sum(1 for w in wants for k in w for v in w[k].values() if v)
    check(nonzero >= sum(len(w) for w in wants),
          'the charts have points (%d non-empty series)' % nonzero)

    # Numbers: every keyed value equals the JSON, and each cell's text says it.
    bad, badtext, keys = [], [], {}
    for key, val, tag, txt, sec in values:
        doc, _ = doc_of(sec)
        keys.setdefault(sec, set()).add(key)
        try:
            j = lookup(doc, key)
        except (KeyError, ValueError, TypeError):
            bad.append((key, val, 'missing in JSON'))
            continue
        if not same_value(val, j):
            bad.append((key, val, j))
        if tag == 'td' and not text_says(txt, j):
            badtext.append((key, txt, j))
    check(not bad, '%d shown values equal the JSON report' % len(values), bad[:5])
    check(not badtext, 'table cells show the same numbers as text', badtext[:5])
    if mode == 'bench':  # one document over the page's sections
        keys = {0: set().union(*keys.values())}
    missing = [(s, k) for s in range(len(docs)) for k in musthave if k not in keys.get(s, ())]
    check(not missing, 'the page shows the key numbers (%d of them, %d section(s))' %
          (len(musthave), len(docs)), missing)


def main():
    """Pages separated by "--", checked in one browser (one start-up)."""
    groups, cur = [], []
    for a in sys.argv[1:] + ['--']:
        if a == '--':
            if cur:
                groups.append(cur)
            cur = []
        else:
            cur.append(a)
    with tempfile.TemporaryDirectory(prefix='twh-chromium-') as ud:
        drv = browser(ud)
        try:
            for g in groups:
                print('# %s %s' % (g[0], os.path.basename(g[1])))
                check_page(drv, g)
        finally:
            drv.quit()
    check(groups, '%d page(s) checked' % len(groups))
    return 1 if FAILED else 0


if __name__ == '__main__':
    sys.exit(main())
