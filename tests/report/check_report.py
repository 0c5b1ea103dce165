#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check control/report output produced by rep_gen from real tw_stats data.

  check_report.py schema REP_GEN SCHEMA.json
      JSON reports of every scenario validate against the JSON Schema
      (draft 2020-12) and carry the numbers the scenarios imply.
  check_report.py openmetrics REP_GEN
      OpenMetrics expositions pass a strict parser written here (and, when
      installed, prometheus_client's OpenMetrics parser).

Each check is one test; ends with "TWRESULT report-<mode> <passed> <failed>".
Validation uses python3-jsonschema when present, otherwise a small built-in
validator for the keywords the schema uses (it refuses any other keyword).
"""
import json
import math
import re
import subprocess
import sys

passed = failed = 0


def check(name, ok, detail=''):
    global passed, failed
    if ok:
        passed += 1
        print(f'  ok    {name}')
    else:
        failed += 1
        print(f'  FAIL  {name} {detail}')


def run(gen, *args):
    p = subprocess.run([gen, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError(f'rep_gen {" ".join(args)}: exit {p.returncode}: {p.stderr[-500:]!r}')
    return p.stdout.decode('utf-8')  # strict: output must be valid UTF-8


# ---------------------------------------------------------------- JSON Schema

class MiniValidator:
    """Draft 2020-12 subset: the keywords report.schema.json uses."""
    KNOWN = {'$schema', '$id', '$defs', '$ref', 'title', 'description', 'type', 'properties',
             'required', 'additionalProperties', 'items', 'enum', 'const', 'minimum', 'maximum',
             'exclusiveMinimum', 'pattern'}
    TYPES = {'object': dict, 'array': list, 'string': str, 'boolean': bool, 'null': type(None)}

    def __init__(self, root):
        self.root = root

    def _type_ok(self, v, t):
        if t == 'integer':
            return isinstance(v, int) and not isinstance(v, bool)
        if t == 'number':
            return isinstance(v, (int, float)) and not isinstance(v, bool)
        return isinstance(v, self.TYPES[t])

    def errors(self, v, s=None, path='$'):
        s = self.root if s is None else s
        out = []
        unknown = set(s) - self.KNOWN
        if unknown:
            return [f'{path}: validator does not know {sorted(unknown)}']
        if '$ref' in s:
            node = self.root
            for part in s['$ref'].lstrip('#/').split('/'):
                node = node[part]
            out += self.errors(v, node, path)
        if 'type' in s:
            ts = s['type'] if isinstance(s['type'], list) else [s['type']]
            if not any(self._type_ok(v, t) for t in ts):
                return out + [f'{path}: {v!r} is not of type {ts}']
        if 'enum' in s and v not in s['enum']:
            out.append(f'{path}: {v!r} not in {s["enum"]}')
        if 'const' in s and v != s['const']:
            out.append(f'{path}: {v!r} != {s["const"]!r}')
        num = isinstance(v, (int, float)) and not isinstance(v, bool)
        if num and 'minimum' in s and v < s['minimum']:
            out.append(f'{path}: {v} < {s["minimum"]}')
        if num and 'maximum' in s and v > s['maximum']:
            out.append(f'{path}: {v} > {s["maximum"]}')
        if num and 'exclusiveMinimum' in s and v <= s['exclusiveMinimum']:
            out.append(f'{path}: {v} <= {s["exclusiveMinimum"]}')
        if isinstance(v, str) and 'pattern' in s and not re.search(s['pattern'], v):
            out.append(f'{path}: {v!r} does not match {s["pattern"]}')
        if isinstance(v, dict):
            props = s.get('properties', {})
            for k in s.get('required', []):
                if k not in v:
                    out.append(f'{path}: missing {k}')
            for k, x in v.items():
                if k in props:
                    out += self.errors(x, props[k], f'{path}.{k}')
                elif s.get('additionalProperties', True) is False:
                    out.append(f'{path}: unexpected key {k}')
        if isinstance(v, list) and 'items' in s:
            for i, x in enumerate(v):
                out += self.errors(x, s['items'], f'{path}[{i}]')
        return out


def make_validator(schema):
    try:
        import jsonschema
        jsonschema.Draft202012Validator.check_schema(schema)
        v = jsonschema.Draft202012Validator(schema)
        print('  (python3-jsonschema in use)')
        return lambda doc: [f'{"/".join(map(str, e.absolute_path))}: {e.message}'
                            for e in v.iter_errors(doc)]
    except ImportError:
        print('  (python3-jsonschema not installed: built-in subset validator)')
        mv = MiniValidator(schema)
        return mv.errors


def strict_json(text):
    def bad_const(c):
        raise ValueError(f'non-finite number {c}')
    return json.loads(text, parse_constant=bad_const)


def schema_mode(gen, schema_path):
    schema = json.load(open(schema_path))
    validate = make_validator(schema)
    docs = {}
    for sc in ('clean', 'lossy', 'empty'):
        for hostile in ('', 'hostile'):
            name = f'{sc}{"-" + hostile if hostile else ""}'
            try:
                doc = strict_json(run(gen, 'json', sc, *([hostile] if hostile else [])))
            except Exception as e:  # noqa: BLE001 - any failure is a test failure
                check(f'json parses: {name}', False, str(e))
                continue
            check(f'json parses: {name}', True)
            errs = validate(doc)
            check(f'schema valid: {name}', not errs, '; '.join(errs[:5]))
            docs[name] = doc

    # The schema must be able to fail: a few mutations are rejected.
    if 'lossy' in docs:
        import copy
        muts = {
            'missing end': lambda d: d.pop('end'),
            'string count': lambda d: d['end']['summary'].__setitem__('sent', '40'),
            'unknown key': lambda d: d['intervals'][0].__setitem__('rtt_ms', 1),
            'ratio > 1': lambda d: d['end']['summary']['loss']['round_trip'].__setitem__(
                'ratio', 2),
            'float ns': lambda d: d['end']['summary']['rtt'].__setitem__('p50_ns', 1.5),
        }
        for what, fn in muts.items():
            d = copy.deepcopy(docs['lossy'])
            fn(d)
            check(f'schema rejects: {what}', bool(validate(d)))

    # Numbers the crafted sequences imply (tests/report/rep_scen.c).
    d = docs.get('lossy')
    if d:
        s = d['end']['summary']
        iv = d['intervals']
        check('lossy: 2 intervals', len(iv) == 2, str(len(iv)))
        check('lossy: sent 40 = sum of intervals',
              s['sent'] == 40 and sum(i['sent'] for i in iv) == 40)
        check('lossy: lost 2 (1 forward, 1 backward)',
              (s['loss']['round_trip']['count'], s['loss']['forward']['count'],
               s['loss']['backward']['count']) == (2, 1, 1), json.dumps(s['loss']))
        check('lossy: loss ratio 0.05', math.isclose(s['loss']['round_trip']['ratio'], 0.05))
        check('lossy: 1 backward duplicate',
              s['duplicates'] == {'forward': 0, 'backward': 1}, json.dumps(s['duplicates']))
        check('lossy: reordering counted', s['reordering']['backward']['count']
              + s['reordering']['forward']['count'] >= 1, json.dumps(s['reordering']))
        check('lossy: rtt max ~ 50.92 ms (seq 9 delayed)',
              abs(s['rtt']['max_ns'] - 50_920_000) <= 50_920_000 / 128,
              str(s['rtt']['max_ns']))
        check('lossy: hops 5 / 3', (s['hops']['forward']['max'], s['hops']['backward']['max'])
              == (5, 3), json.dumps(s['hops']))
        check('lossy: unsynchronised flagged', s['forward_owd']['unsynchronised'] is True
              and s['unsynchronised_samples'] > 0)
        ev = d['end']['events']
        check('lossy: rtt raised then cleared',
              [(e['kind'], e['state']) for e in ev if e['kind'] == 'rtt']
              == [('rtt', 'raised'), ('rtt', 'cleared')] * 2, json.dumps(ev))
        check('lossy: error bound rtt 600 ns', s['error_bound']['rtt']['max_ns'] == 600,
              json.dumps(s['error_bound']['rtt']))
    d = docs.get('empty')
    if d:
        s = d['end']['summary']
        check('empty: null statistics', s['rtt']['p50_ns'] is None and s['rtt']['n'] == 0
              and s['loss']['round_trip']['ratio'] is None)
    d = docs.get('clean-hostile')
    if d:
        check('hostile strings round-trip',
              d['start']['session']['name'] == 's"1\\x\ny\t\x01z \u00e9 \ufffd'
              and d['start']['session']['mode'] == 'unauth"enticated',
              repr(d['start']['session']['name']))
    return 'report-schema'


# ---------------------------------------------------------------- OpenMetrics

METRIC = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
NUMBER = re.compile(r'^(?:[+-]?Inf|NaN|[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)$')
SUFFIXES = {
    'counter': ('_total', '_created'),
    'gauge': ('',),
    'histogram': ('_bucket', '_count', '_sum', '_created'),
    'gaugehistogram': ('_bucket', '_gcount', '_gsum'),
    'unknown': ('',),
}


def parse_labels(s, i, line):
    """s[i] == '{'; returns (labels dict, index after '}')."""
    labels = {}
    i += 1
    if s[i] == '}':
        return labels, i + 1
    while True:
        m = LABEL.match(s, i)
        if not m:
            raise ValueError(f'bad label name: {line!r}')
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            raise ValueError(f'expected =" after label: {line!r}')
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise ValueError(f'unterminated label value: {line!r}')
            c = s[i]
            if c == '\\':
                n = s[i + 1:i + 2]
                if n not in ('\\', '"', 'n'):
                    raise ValueError(f'bad escape \\{n}: {line!r}')
                val.append({'\\': '\\', '"': '"', 'n': '\n'}[n])
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == '\n':
                raise ValueError('newline in label value')
            else:
                val.append(c)
                i += 1
        if name in labels:
            raise ValueError(f'duplicate label {name}: {line!r}')
        labels[name] = ''.join(val)
        if s[i] == ',':
            i += 1
            continue
        if s[i] == '}':
            return labels, i + 1
        raise ValueError(f'expected , or }} in labels: {line!r}')


def om_parse(text):
    """Strict OpenMetrics 1.0 text parser; returns {family: (type, [(name, labels, value)])}."""
    if not text.endswith('# EOF\n'):
        raise ValueError('exposition does not end with "# EOF\\n"')
    lines = text[:-len('# EOF\n')].split('\n')
    if lines[-1] != '':
        raise ValueError('no newline before # EOF')
    lines = lines[:-1]
    fams = {}
    cur = None
    for line in lines:
        if line.startswith('#'):
            parts = line.split(' ', 3)
            if len(parts) < 3 or parts[0] != '#' or parts[1] not in ('TYPE', 'UNIT', 'HELP'):
                raise ValueError(f'bad comment line: {line!r}')
            kw, name = parts[1], parts[2]
            if not METRIC.fullmatch(name):
                raise ValueError(f'bad family name: {line!r}')
            if kw == 'TYPE':
                if len(parts) != 4 or parts[3] not in SUFFIXES:
                    raise ValueError(f'bad TYPE: {line!r}')
                if name in fams:
                    raise ValueError(f'family {name} seen twice')
                fams[name] = {'type': parts[3], 'samples': [], 'unit': None}
                cur = name
            else:
                if name != cur or fams[cur]['samples']:
                    raise ValueError(f'{kw} not right after its TYPE: {line!r}')
                if kw == 'UNIT':
                    if len(parts) != 4 or not name.endswith('_' + parts[3]):
                        raise ValueError(f'family name must end in its unit: {line!r}')
                    fams[cur]['unit'] = parts[3]
                elif len(parts) == 4 and re.search(r'\\[^\\n"]', parts[3]):
                    raise ValueError(f'bad escape in HELP: {line!r}')
            continue
        if cur is None:
            raise ValueError(f'sample before any TYPE: {line!r}')
        m = METRIC.match(line)
        if not m:
            raise ValueError(f'bad sample name: {line!r}')
        name, i = m.group(0), m.end()
        labels = {}
        if i < len(line) and line[i] == '{':
            labels, i = parse_labels(line, i, line)
        rest = line[i:]
        if not rest.startswith(' '):
            raise ValueError(f'expected space before value: {line!r}')
        vals = rest[1:].split(' ')
        if len(vals) not in (1, 2) or not NUMBER.match(vals[0]):
            raise ValueError(f'bad value: {line!r}')
        f = fams[cur]
        if not any(name == cur + sfx for sfx in SUFFIXES[f['type']]):
            raise ValueError(f'sample {name} does not belong to {cur} ({f["type"]})')
        f['samples'].append((name, labels, float(vals[0])))
    for fam, f in fams.items():
        check_family(fam, f)
    return fams


def check_family(fam, f):
    seen = set()
    groups = []
    for name, labels, v in f['samples']:
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            raise ValueError(f'{fam}: duplicate sample {key}')
        seen.add(key)
        if f['type'] == 'counter' and (math.isnan(v) or v < 0):
            raise ValueError(f'{fam}: counter value {v}')
        if f['type'] in ('histogram', 'gaugehistogram'):
            if name.endswith('_bucket') and 'le' not in labels:
                raise ValueError(f'{fam}: bucket without le')
            if not name.endswith('_bucket') and 'le' in labels:
                raise ValueError(f'{fam}: le outside a bucket')
            g = tuple(sorted((k, x) for k, x in labels.items() if k != 'le'))
            if not groups or groups[-1][0] != g:
                if any(x[0] == g for x in groups):
                    raise ValueError(f'{fam}: samples of {g} not contiguous')
                groups.append((g, []))
            groups[-1][1].append((name, labels, v))
    for g, samples in groups:
        buckets = [(float(l['le']), v) for n, l, v in samples if n.endswith('_bucket')]
        if not buckets or buckets[-1][0] != math.inf:
            raise ValueError(f'{fam}{g}: no +Inf bucket last')
        for (a, ca), (b, cb) in zip(buckets, buckets[1:]):
            if not b > a or cb < ca:
                raise ValueError(f'{fam}{g}: buckets not ascending/cumulative')
        cnt = '_count' if f['type'] == 'histogram' else '_gcount'
        counts = [v for n, l, v in samples if n == fam + cnt]
        if counts != [buckets[-1][1]]:
            raise ValueError(f'{fam}{g}: {cnt} {counts} != +Inf bucket {buckets[-1][1]}')
        if f['type'] == 'histogram' and buckets[0][0] < 0:
            raise ValueError(f'{fam}{g}: negative bucket in a histogram with _sum')


def openmetrics_mode(gen):
    try:
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
    except ImportError:
        text_string_to_metric_families = None
        print('  (python3-prometheus-client not installed: strict built-in parser only)')
    cases = [('openmetrics', sc, h) for sc in ('clean', 'lossy', 'empty') for h in ('', 'hostile')]
    cases += [('om-multi', 'lossy', ''), ('om-multi', 'lossy', 'hostile')]
    outs = {}
    for fmt, sc, h in cases:
        name = f'{fmt} {sc}{" hostile" if h else ""}'
        try:
            text = run(gen, fmt, sc, *([h] if h else []))
        except Exception as e:  # noqa: BLE001
            check(f'generate: {name}', False, str(e))
            continue
        outs[name] = text
        try:
            fams = om_parse(text)
            check(f'strict parse: {name}', True)
        except ValueError as e:
            check(f'strict parse: {name}', False, str(e))
            continue
        if text_string_to_metric_families:
            try:
                n = sum(len(fm.samples) for fm in text_string_to_metric_families(text))
                check(f'prometheus_client parse: {name}', n > 0)
            except Exception as e:  # noqa: BLE001
                check(f'prometheus_client parse: {name}', False, str(e))
        if fmt == 'openmetrics' and sc == 'lossy' and not h:
            rtt = fams['twinhop_rtt_seconds']['samples']
            cnt = [v for n, l, v in rtt if n.endswith('_count')]
            lost = fams['twinhop_packets_lost']['samples']
            check('lossy: rtt _count 38 (39 replies less 1 duplicate)', cnt == [38], str(cnt))
            check('lossy: lost 2', [v for _, _, v in lost] == [2.0], str(lost))
            check('lossy: labels', rtt[0][1].get('session') == 's1'
                  and rtt[0][1].get('peer') == '192.0.2.1:862', str(rtt[0][1]))
            owd = fams['twinhop_forward_owd_seconds']['type']
            check('signed delays are gaugehistograms', owd == 'gaugehistogram', owd)
        if fmt == 'om-multi' and not h:
            drops = fams['twinhop_fp_drops']['samples']
            check('counter array with reason label',
                  [(l['reason'], v) for _, l, v in drops]
                  == [('DROP_BAD_LENGTH', 3), ('DROP_BAD_HMAC', 0), ('drop-ttl', 12)], str(drops))
            check('counter array as families',
                  'twinhop_fp_drop_ttl' in fams and 'twinhop_fp_drop_bad_hmac' in fams)
            sess = {l['session'] for _, l, _ in fams['twinhop_packets_sent']['samples']}
            check('two sessions in one family', sess == {'s1', 's2'}, str(sess))
        if h and fmt == 'openmetrics' and sc == 'clean':
            l = fams['twinhop_packets_sent']['samples'][0][1]
            check('hostile label value round-trips',
                  l['session'] == 's"1\\x\ny\t\x01z \u00e9 \ufffd', repr(l['session']))
    # The parser must be able to fail.
    good = outs.get('openmetrics lossy', '')
    bad = {
        'no EOF': good.replace('# EOF\n', ''),
        'family twice': good.replace('# EOF\n', '# TYPE twinhop_loss_ratio gauge\n# EOF\n'),
        'bad escape': good.replace('session="s1"', 'session="s\\t1"', 1),
        'count mismatch': re.sub(r'(twinhop_rtt_seconds_count\{[^}]*\}) \d+', r'\1 999', good),
        'counter without _total': good.replace('twinhop_packets_sent_total', 'twinhop_packets_sent'),
    }
    for what, text in bad.items():
        try:
            om_parse(text)
            check(f'strict parser rejects: {what}', False)
        except ValueError:
            check(f'strict parser rejects: {what}', True)
    return 'report-openmetrics'


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ('schema', 'openmetrics'):
        print(__doc__)
        return 2
    try:
        if sys.argv[1] == 'schema':
            name = schema_mode(sys.argv[2], sys.argv[3])
        else:
            name = openmetrics_mode(sys.argv[2])
    except Exception as e:  # noqa: BLE001 - report, never crash without a result line
        check('harness', False, repr(e))
        name = 'report-' + sys.argv[1]
    print(f'\nTWRESULT {name} {passed} {failed}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
