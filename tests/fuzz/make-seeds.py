#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of the fuzz targets into corpus/<target>/.

Real message bytes, mostly the values of the wire reference's worked example
(/work/shared/spec/twamp-wire.md §3.8, a twping -> twampd capture in mode 2),
laid out as each target's input format expects (docs/fuzzing.md).  Re-run
after changing an input format; existing crash-* files are left alone.
"""
import os, re, struct, sys

H = bytes.fromhex
here = os.path.dirname(os.path.abspath(__file__))

# ---- §3.8 values ------------------------------------------------------------
salt = H('a6a4384dfbd9a6bfa1354749b2b5b40c')
challenge = H('da5c95567a7e514096ffd99c14521568')
token = H('16f684c1f11ec98a97981af7a4ca19fa11b0120923f255920578586fb9a42320'
          '9a2e9acff6aaf824568f52c55340548f2d2a2e625ee5a16e8a3e40a1c78f6690')
client_iv = H('8f859d156dd446c02d703b8bdea89211')
server_iv = H('ec85ea61a51015f7b609f5fcc0f47e5e')
ss_wire = H('b6e5d9ba8495d48bc9cb8d7a5212c1d9')
start_time = H('eeb34ec3eca4a05d')
req_plain = (H('05040000') + bytes(8) + H('24f624f6') + H('7f000001') + bytes(12) +
             H('7f000001') + bytes(12) + bytes(16) + H('00000040') +
             H('eeb34ecdde821f2a') + H('0000000200000000') + H('2e000000') + bytes(8) +
             H('5240b344b71d103c38ec5f937e706cb9'))
acc_wire = H('8ed18cf449554babab72ef5640f8876fcb8a8e66ce59ba58a853ef680efe550c'
             '53c48df39029a0ac803c28b69d7c4526')
acc_plain = (H('0000') + H('4a9c') + H('7f000001eeb34eccdbaa4766649584a3') + bytes(12) +
             H('13a9ec647d84880ba5d09be2e22bf46e'))
sid = H('7f000001eeb34eccdbaa4766649584a3')
snd_wire = (H('7c5e48a3eaf2fc7d0e02dcb22fa50b48') + H('eeb34ece02346562') + H('0001') +
            bytes(6) + H('6b80bb1cf2fdc393e3c27a981f82d238') + bytes(64))
assert len(req_plain) == 112 and len(acc_plain) == 48 and len(snd_wire) == 112


def blk(*parts, n=16):
    b = b''.join(parts)
    return b + bytes(-len(b) % n)


def ctl():
    s = {}
    s['greeting'] = bytes(12) + struct.pack('>I', 0x7F) + challenge + salt + \
        struct.pack('>I', 2048) + bytes(12)
    s['setup-response'] = struct.pack('>I', 2) + b'alice'.ljust(80, b'\0') + token + client_iv
    s['server-start'] = bytes(15) + b'\0' + server_iv + start_time + bytes(8)
    s['request-tw-session'] = req_plain
    v6 = bytearray(req_plain)
    v6[1] = 6
    v6[16:32] = H('20010db8000000000000000000000001')
    v6[32:48] = H('20010db8000000000000000000000002')
    s['request-tw-session-v6'] = bytes(v6)
    s['accept-session'] = acc_plain
    s['start-sessions'] = blk(b'\x02') + bytes(16)
    s['start-ack'] = blk(b'\x00') + bytes(16)
    s['stop-sessions'] = blk(b'\x03\x00\x00\x00' + struct.pack('>I', 1)) + bytes(16)
    s['start-n-2'] = blk(b'\x07', n=12) + struct.pack('>I', 2) + sid + sid[::-1] + bytes(16)
    s['start-n-ack-1'] = blk(b'\x08\x00', n=12) + struct.pack('>I', 1) + sid + bytes(16)
    s['stop-n-0'] = blk(b'\x09', n=12) + struct.pack('>I', 0) + bytes(16)
    s['stop-n-ack-big'] = blk(b'\x0a\x00', n=12) + struct.pack('>I', 4097)
    s['unknown-cmd'] = blk(b'\x06')
    micro = bytearray(req_plain)  # RFC 9533 §4.1: command 11, same layout
    micro[0] = 11
    s['request-tw-micro-sessions'] = bytes(micro)
    return s


def pkt():
    def hdr(layout, pad_len=64, cap_delta=0, flags=0, n=4, known=0x0000000000000F):
        return struct.pack('>BIHBHQ', layout, pad_len, cap_delta, flags, n, known)
    s = {}
    # TWAMP open sender: seq 1, ts, errest S|1, padding 27 octets.
    open_snd = struct.pack('>IQH', 1, 0xeeb34ece02346562, 0x8001) + bytes(range(27))
    s['twamp-open'] = hdr(0, 27) + open_snd
    s['twamp-open-short'] = hdr(0, 0) + open_snd[:13]
    s['twamp-open-cap'] = hdr(0, 200, 0, 1) + open_snd
    s['twamp-auth-3.8'] = hdr(1, 64) + snd_wire
    s['twamp-sym-open'] = hdr(2, 0) + struct.pack('>IQH', 2, 1 << 40, 0x0101) + bytes(27)
    s['twamp-sym-auth'] = hdr(3, 0) + struct.pack('>I', 3) + bytes(12) + \
        struct.pack('>QH', 1 << 50, 0x0001) + bytes(86)
    tlvs = (struct.pack('>BBH', 0x80, 1, 8) + bytes(8) +           # Extra Padding
            struct.pack('>BBH', 0x80, 3, 4) + H('01020304') +      # Timestamp Info
            struct.pack('>BBH', 0x80, 200, 0))                      # unknown type
    stamp = struct.pack('>IQHH', 7, 1 << 45, 0x8001, 0x1234) + bytes(30)
    s['stamp-open-tlv'] = hdr(4, 0, 16) + stamp + tlvs
    s['stamp-open-badtlv'] = hdr(4, 0) + stamp + tlvs + struct.pack('>BBH', 0x80, 1, 100) + b'xy'
    s['stamp-open-frag'] = hdr(4, 0) + stamp + tlvs + b'\x80\x01'
    stamp_auth = struct.pack('>I', 8) + bytes(12) + struct.pack('>QHH', 1 << 45, 0x8001, 0x4321)
    stamp_auth += bytes(112 - len(stamp_auth))
    s['stamp-auth-tlv'] = hdr(5, 0, 0, 4) + stamp_auth + tlvs
    s['refl-open'] = hdr(0, 0) + struct.pack('>IQH', 9, 5, 0x0001) + bytes(2) + \
        struct.pack('>QIQH', 6, 1, 7, 0x0001) + b'\x02\x40'
    s['bad-layout'] = hdr(7, 0) + open_snd
    # RFC 9533 micro-session IDs (lib/tw_pkt.h, RFC 9533 Figure 2): an open
    # sender packet with Sender ID 1 / Reflector ID 7 at 16, P = 34, and an
    # authenticated one with the IDs at 28; n = 7 is the member link tried
    micro_open = struct.pack('>IQHHHH', 1, 0xeeb34ece02346562, 0x8001, 0, 1, 7) + bytes(28)
    s['micro-open'] = hdr(0, 34, n=7) + micro_open
    s['micro-auth'] = hdr(1, 0, n=0x38) + snd_wire[:28] + struct.pack('>HH', 7, 0) + snd_wire[32:]
    return s


def crypto():
    s = {}
    # op 1: client; Server-Start (block 32..47 wire) then Accept-Session (§3.8): HMAC OK.
    ss = bytes(15) + b'\0' + server_iv + ss_wire
    s['client-accept-3.8'] = b'\x01' + ss + b'\x10' + struct.pack('>H', 48) + acc_wire
    s['client-short-ss'] = b'\x01' + ss + b'\x00' + struct.pack('>H', 48) + acc_wire
    # op 0: server; arbitrary-length chunks.
    s['server-chunks'] = b'\x00' + struct.pack('>H', 112) + req_plain + \
        struct.pack('>H', 17) + bytes(17) + struct.pack('>H', 16) + bytes(16)
    # op 2: round trip of real plaintexts (Request-TW-Session 112 = 7 blocks).
    s['roundtrip'] = b'\x02' + b'\x00\x09' + b'\x05' + req_plain + b'\x00' + \
        blk(b'\x02') + bytes(16) + b'\x01' + acc_plain
    # op 3: §3.8 mode-2 sender packet: verifies OK with the test keys.
    s['test-mode2-3.8'] = b'\x03' + b'\x00' + snd_wire
    s['test-mode4-refl'] = b'\x03' + b'\x03' + bytes(112)
    s['test-raw-geom'] = b'\x03' + b'\x80' + struct.pack('>HH', 32, 96) + bytes(112)
    # op 4: §3.8 token with the §3.8 KEK and challenge: OK.
    s['token-3.8'] = b'\x04' + b'\x00' + token
    s['token-other-challenge'] = b'\x04' + b'\x01' + token + bytes(16)
    return s


def time_():
    s = {}
    def t(ntp, ref, e, x, ptp):
        return struct.pack('>QqHQQ', ntp, ref, e, x, ptp)
    s['3.8'] = t(0xeeb34ec3eca4a05d, 1700000000 * 10**9, 0x8001, 1000, (1700000000 << 32) | 5)
    s['era1'] = t(0x0000000100000000, 2100000000 * 10**9, 0x3fff, 2**64 - 1, 0xffffffff3b9ac9ff)
    s['frac-max'] = t(0x00000000ffffffff, -(2**63), 0x0000, 999999999, 0x000000003b9aca00)
    s['ref-max'] = t(0xffffffffffffffff, 2**63 - 1, 0x20ff, 4294967295 * 10**9, 0)
    # a - b == INT64_MIN in tw_ntp_diff_ns (x = 0, ptp = 0 -> b = 0).
    s['diff-int64min'] = t(0x8000000000000000, 0, 0x00fa, 0, 0)
    return s


# The contract version the seeds speak (lib/tw_ipc.h).
IPCV = int(re.search(r'#define TW_IPC_VERSION (\d+)',
                     open(os.path.join(here, '../../lib/tw_ipc.h')).read()).group(1))


def ring():
    s = {}
    def rec(typ, payload, version=IPCV, length=None):
        n = len(payload) if length is None else length
        r = struct.pack('<HHHHII', version, typ, 0, 0, 1, n) + payload
        return r + bytes(-len(r) % 16)
    hello = struct.pack('<IIII', 1234, 0, IPCV, 0) + b'twinhopd'.ljust(32, b'\0')
    sess = struct.pack('<IIQ', 5, 0, 0)
    stats_req = struct.pack('<II', 0, 0)
    area = rec(0x01, hello) + rec(0x04, sess) + rec(0x0b, stats_req)
    hdr = lambda mode, tail, avail, cap, avail2=0: struct.pack('>BHIHI', mode, tail, avail, cap,
                                                               avail2)
    s['cmd-records'] = hdr(1, 0, len(area), 4096) + area
    s['cmd-wrap'] = hdr(1, 8192 // 16 - 2, len(area), 4096) + area
    s['cmd-small-cap'] = hdr(1, 0, len(area), 8) + area
    s['bad-version'] = hdr(1, 0, 64, 4096) + rec(0x01, hello, version=IPCV + 1)
    s['bad-length'] = hdr(1, 0, 64, 4096) + rec(0x01, hello, length=100000)
    s['pad-record'] = hdr(1, 0, 64, 4096) + rec(0x00, bytes(16)) + rec(0x0b, stats_req)
    s['evt-dir'] = hdr(2, 0, len(area), 4096) + area
    s['head-behind'] = hdr(9, 4, 0xfffffff0, 4096) + area
    s['two-phase'] = hdr(1, 0, 48, 4096, 64) + area
    # Producer mode (bit 2): [type][flags][len:2][payload]
    def msg(typ, payload, want):
        return struct.pack('>BBH', typ, 0, want) + payload
    s['producer-cmd'] = hdr(5, 0, 0, 4096) + msg(0x01, hello, 0) + msg(0x04, sess, 0) + \
        msg(0x0b, stats_req, 0) + msg(0x42, bytes(8), 0)
    s['producer-evt'] = hdr(6, 0, 0, 16) + msg(0x41, bytes(16), 0) + msg(0x44, bytes(72), 1) + \
        msg(0x48, bytes(40), 0)
    return s


def ipc():
    # [dir:1][hdr:16][payload]: dir 1 = command ring, 0x80 keeps the header's
    # own version/length.
    s = {}
    v = IPCV
    def m(typ, payload, d=1, version=v, length=None):
        n = len(payload) if length is None else length
        return bytes([d]) + struct.pack('<HHHHII', version, typ, 0, 0, 7, n) + payload
    addr = lambda fam, a, plen=0: struct.pack('<BBH', fam, plen, 0) + a.ljust(16, b'\0')
    flow = addr(4, H('0a000001')) + addr(4, H('0a000002')) + struct.pack('<HHHH', 862, 5000, 0, 0)
    pad = lambda p: struct.pack('<IHHHH', p, 0, 0, 0, 0)
    keys = lambda n: bytes(16) + bytes(range(32)) + struct.pack('<B', n) + bytes(7)
    hello = struct.pack('<IIII', 1234, 1, v, 0) + b'twinhopd'.ljust(32, b'\0')
    snd = (struct.pack('<IBBH', 9, 1, 2, 1) + sid + flow + pad(27) + keys(32) +
           bytes(6) + struct.pack('<HBBBB', 0, 1, 46, 64, 0) +
           struct.pack('<QQQQQQ', 10**6, 100, 0, 0, 2 * 10**9, 0))
    # version 9: tlv_len, pad1, pad2, tlv[512] (STAMP TLV template)
    notlv = struct.pack('<HHI', 0, 0, 0) + bytes(512)
    snd += notlv
    refl = (struct.pack('<IBBH', 10, 1, 4, 0) + sid + flow + pad(0xfffffff0) + keys(255) +
            struct.pack('<BBBB', 0, 255, 0, 0) + struct.pack('<QQ', 10**9, 0))
    light = (struct.pack('<IBBH', 11, 3, 2, 0) + flow + keys(16) +
             struct.pack('<BBBBI', 0, 0, 0, 0, 64) + struct.pack('<Q', 30 * 10**9))
    port = struct.pack('<HHHBB6s2s', 0, 0, 1500, 2, 0, bytes(6), bytes(2)) + \
        addr(4, H('0a000001'), 24) + addr(6, H('fd00' + '00' * 13 + '01'), 64) + bytes(20 * 6)
    assert len(snd) == 720 and len(refl) == 160 and len(light) == 128 and len(port) == 176
    s['hello-reset'] = m(0x01, hello)
    s['sender-add-auth'] = m(0x06, snd)
    s['reflector-add-wrap'] = m(0x03, refl)
    s['light-listen-stamp'] = m(0x0a, light)
    s['port-config'] = m(0x02, port)
    s['session-del'] = m(0x09, struct.pack('<IIQ', 9, 0, 0))
    s['evt-log'] = m(0x48, struct.pack('<BBHHHIIQ', 6, 0, 0, 5, 0, 0, 0, 0) + b'hello', d=2)
    s['raw-header'] = m(0x06, snd[:100], d=0x81, length=720)
    # RFC 7750 (TW_IPC_SF_DSCP_ECN 0x80): sender with ECT(0), then ECN 4 (NACK);
    # a reflector with the flag.
    snd7750 = struct.pack('<IBBH', 9, 1, 2, 0x81) + snd[8:146] + \
        struct.pack("<HBBBB", 0, 1, 46, 64, 2) + snd[152:]
    assert len(snd7750) == 720
    s['sender-add-dscp-ecn'] = m(0x06, snd7750)
    s['sender-add-ecn-bad'] = m(0x06, snd7750[:151] + b'\x04' + snd7750[152:])
    # RFC 8972 STAMP TLV templates (version 9): a STAMP open sender with
    # Location, DM and Follow-Up; an authenticated one ending in the HMAC
    # TLV; and, with dir 0x41 (the target makes the rest a valid STAMP
    # sender), a DM TLV of the wrong length, a TLV overrunning the area, a
    # TLV after the HMAC TLV and an HMAC TLV in open mode (all NACKed).
    tl = lambda t, v: struct.pack('>BBH', 0x80, t, len(v)) + v
    def stamp(sec, area, flags=0, padding=0):
        b = (struct.pack('<IBBH', 12, 3, sec, flags) + bytes(16) + flow + pad(padding) +
             keys(16) + bytes(6) + struct.pack('<HBBBB', 7, 1, 0, 64, 0) +
             struct.pack('<QQQQQQ', 10**6, 100, 0, 0, 2 * 10**9, 0))
        return b + struct.pack('<HHI', len(area), 0, 0) + area.ljust(512, b'\0')[:512]
    loc4 = tl(2, struct.pack('>HH', 0, 0) + tl(5, bytes(4)) + tl(8, bytes(4)))
    dm, fu, hm = tl(5, bytes(12)), tl(7, bytes(16)), tl(8, bytes(16))
    s['sender-add-stamp-tlv'] = m(0x06, stamp(1, loc4 + dm + fu))
    s['sender-add-stamp-tlv-hmac'] = m(0x06, stamp(2, dm + tl(4, bytes(4)) + hm))
    s['sender-add-stamp-tlv-padding'] = m(0x06, stamp(1, dm, padding=8))
    s['sender-add-tlv-dm-len'] = m(0x06, stamp(1, tl(5, bytes(8))), d=0x41)
    s['sender-add-tlv-overrun'] = m(0x06, stamp(1, dm[:-2] + b'\x80\x05\x01\xff'), d=0x41)
    s['sender-add-tlv-after-hmac'] = m(0x06, stamp(2, hm + dm), d=0x41)
    s['sender-add-tlv-hmac-open'] = m(0x06, stamp(1, hm), d=0x41)
    s['sender-add-tlv-len-over'] = m(0x06, stamp(1, dm)[:200] + struct.pack('<H', 600) +
                                     stamp(1, dm)[202:], d=0x41)
    s['reflector-add-dscp-ecn'] = m(0x03, struct.pack('<IBBH', 10, 1, 1, 0x80) + refl[8:])
    # RFC 9533 (TW_IPC_SF_MICRO 0x100, version 11): an open TWAMP sender
    # with Sender/Reflector Micro-session IDs 1/7 and the 30 octets of
    # padding they need (RFC 9533 Figure 4: the reply must reach octet 44);
    # the same with Sender ID 0 and with padding 29 (NACKed).
    def micro(sid_, rid, padding=30):
        b = struct.pack('<IBBH', 9, 1, 1, 0x101) + snd[8:72] + pad(padding) + snd[84:200]
        return b + struct.pack('<HHHH', 0, sid_, rid, 0) + bytes(512)
    assert len(micro(1, 7)) == 720
    s['sender-add-micro'] = m(0x06, micro(1, 7))
    s['sender-add-micro-sid0'] = m(0x06, micro(0, 7))
    s['sender-add-micro-pad29'] = m(0x06, micro(1, 7, 29))
    # version 15: TW_IPC_SF_SEQ_RESYNC (0x200) with START_NOW on a
    # reflector (a session programmed again after a restart), and on a
    # sender (refused at flags)
    s['reflector-add-resync'] = m(0x03, struct.pack('<IBBH', 11, 1, 1, 0x201) + refl[8:])
    s['sender-add-resync'] = m(0x06, micro(0, 0)[:6] + struct.pack('<H', 0x200) + micro(0, 0)[8:])
    return s


def net():
    # Frames for app/fp_parse.h: [eth][vlan?][ip][udp][payload]
    s = {}
    eth = lambda et: H('020000000001') + H('020000000002') + struct.pack('>H', et)
    def udp(sp, dp, pl):
        return struct.pack('>HHHH', sp, dp, 8 + len(pl), 0) + pl
    def ip4(l4, opts=b'', frag=0, proto=17):
        ihl = 5 + len(opts) // 4
        return struct.pack('>BBHHHBBH4s4s', 0x40 | ihl, 0xb8, ihl * 4 + len(l4), 1, frag, 64,
                           proto, 0, H('0a000002'), H('0a000001')) + opts + l4
    def ip6(l4, proto=17):
        return struct.pack('>IHBB', 0x60000000 | (46 << 22), len(l4), proto, 255) + \
            H('fd00' + '00' * 13 + '02') + H('fd00' + '00' * 13 + '01') + l4
    u = udp(5000, 862, snd_wire[:44])
    s['ipv4-udp'] = eth(0x0800) + ip4(u)
    s['vlan-ipv4-opts'] = eth(0x8100) + struct.pack('>HH', 100, 0x0800) + ip4(u, opts=bytes(8))
    s['ipv6-udp'] = eth(0x86dd) + ip6(u)
    s['ipv4-frag'] = eth(0x0800) + ip4(u, frag=0x2000)
    s['ipv4-tcp'] = eth(0x0800) + ip4(u, proto=6)
    # RFC 8200 §4.5 Fragment header (Next Header UDP, offset 0, M=1) before UDP
    s['ipv6-frag'] = eth(0x86dd) + ip6(struct.pack('>BBHI', 17, 0, 1, 7) + u, proto=44)
    s['udp-len-long'] = eth(0x0800) + ip4(struct.pack('>HHHH', 1, 2, 4000, 0) + bytes(8))
    s['ipv6-short'] = eth(0x86dd) + ip6(u)[:30]
    s['arp'] = eth(0x0806) + bytes(28)
    return s


def profile():
    # The bundled profiles (tools/profiles), as the operator writes them.
    d = os.path.join(here, '../../tools/profiles')
    return {f.rsplit('.', 1)[0]: open(os.path.join(d, f), 'rb').read()
            for f in sorted(os.listdir(d)) if f.endswith('.profile')}


def srv():
    # [offered:2][mode:2][setup:1][env:1][rndfail:1] then operations (fuzz_srv.c):
    # full conversations as a client would hold them, one per mode.
    CMD, RAW, NCMD, REPLY, EVENT, TICK, DEADLINE, EOF, RETIRE, TOGGLE, DRAIN = range(11)
    req = bytearray(req_plain)
    req[16:48] = bytes(32)          # zero addresses: the control connection's
    req[14:16] = struct.pack('>H', 20050)
    req = bytes(req)
    req6 = bytearray(req)
    req6[1] = 6
    req6 = bytes(req6)
    start = blk(b'\x02') + bytes(16)
    stop = blk(b'\x03\x00\x00\x00' + struct.pack('>I', 2)) + bytes(16)

    def cmd(m, split=0):
        return bytes([CMD]) + struct.pack('>HH', len(m), split) + m

    def reply(idx=0, err=0):
        return bytes([REPLY, idx, err])

    def ncmd(start_, sids, split=0):
        return bytes([NCMD, (1 if start_ else 0) | split << 1]) + \
            struct.pack('>H', len(sids)) + bytes(sids)

    def tick(ms):
        return bytes([TICK]) + struct.pack('>H', ms // 8)

    def head(offered, mode, setup=0x50, env=0x0c, rndfail=0):
        return struct.pack('>HHBBB', offered, mode, setup, env, rndfail)

    conv = (cmd(req, 50) + reply() + cmd(req) + reply() + cmd(start) + reply() + reply() +
            tick(2000) + cmd(stop) + bytes([DEADLINE]) + bytes([EOF]))
    indiv = (cmd(req) + reply() + cmd(req) + reply() + ncmd(True, [1]) + reply() +
             ncmd(True, [0], 1) + reply() + ncmd(False, [0, 1]) + cmd(start) + tick(100) +
             bytes([EOF]))
    s = {}
    for name, mode in (('open', 1), ('auth', 2), ('encrypted', 4), ('mixed', 8)):
        s['conv-' + name] = head(0x7f, mode) + conv
        s['indiv-' + name] = head(0x7f, mode | 0x10) + indiv
    s['reflect-octets-enc'] = head(0x7f, 0x24) + cmd(req) + reply() + cmd(start) + reply() + \
        bytes([EOF])
    s['symmetric-v6'] = head(0x7f, 0x41, env=0x1c) + cmd(req6) + reply() + cmd(start) + \
        reply() + bytes([EVENT, 0, 3]) + bytes([DEADLINE]) + bytes([DEADLINE])
    s['nack-timeout'] = head(0x7f, 2) + cmd(req) + reply(0, 19) + cmd(req) + \
        bytes([DEADLINE]) + cmd(start) + bytes([EOF])
    s['deferred-retire'] = head(0x7f, 4, env=0x4c) + cmd(req) + reply() + cmd(start) + \
        reply() + cmd(stop) + bytes([RETIRE, 0]) + bytes([DRAIN]) + struct.pack('>H', 20)
    s['bad-hmac'] = head(0x7f, 4) + cmd(req) + reply() + cmd(start, 0x8000)
    s['unsealed'] = head(0x7f, 4) + bytes([RAW]) + struct.pack('>H', 32) + start
    s['unknown-key'] = head(0x7f, 4, setup=0x52)
    s['wrong-secret'] = head(0x7f, 2, setup=0x54)
    s['mode-not-offered'] = head(0x01, 4)
    s['modes-zero'] = head(0, 1)
    s['random-fails'] = head(0x7f, 4, rndfail=3)
    s['raw-setup'] = head(0x7f, 0, setup=0x01) + struct.pack('>I', 1) + bytes(160) + cmd(start)
    s['n-too-large'] = head(0x7f, 0x11) + ncmd(True, []) [:2] + struct.pack('>H', 5000)
    s['setup-stalled'] = head(0x7f, 1, setup=0xf8) + tick(9000) + bytes([DEADLINE])
    s['setup-eof'] = head(0x7f, 4, setup=0xf8) + bytes([EOF])
    s['setup-late-open'] = head(0x7f, 1, setup=0xf8) + bytes([RAW, 0, 9]) + bytes(9) + \
        cmd(start)
    def patched(off, val):
        m = bytearray(req)
        m[off:off + len(val)] = val
        return bytes(m)
    s['refusals'] = head(0x7f, 1) + b''.join(cmd(m) for m in (
        patched(1, b'\x05'), patched(2, b'\x01'), patched(84, b'\x40'),
        patched(64, b'\xff\xff\xff\xff'), patched(16, H('0a000009')), req6)) + \
        ncmd(True, [0]) + cmd(stop) + cmd(req) + reply() + cmd(start) + reply() + cmd(req)
    # setup bit 3: the fast path's IP MTU is 1500 (IPv4 open: padding <= 1458)
    s['padding-mtu'] = head(0x7f, 1, setup=0x58) + cmd(patched(64, struct.pack('>I', 1459))) + \
        cmd(patched(64, struct.pack('>I', 1458))) + reply() + cmd(start) + reply() + bytes([EOF])
    s['limits'] = head(0x7f, 0x11, env=0x00) + cmd(req) + reply() + cmd(req) + \
        ncmd(True, [1]) + bytes([TOGGLE, 2]) + bytes([EOF])
    s['client-limit'] = head(0x7f, 1, env=0x06) + cmd(req) + reply() + cmd(req)
    s['fp-detached'] = head(0x7f, 1, env=0x01) + cmd(req) + cmd(start)
    s['mode-zero'] = head(0x7f, 0)
    s['no-port'] = head(0x7f, 1, env=0x8c) + (cmd(req) + reply()) * 3
    s['idle-servwait'] = head(0x7f, 1) + tick(60000) + tick(1000)
    # RFC 9533 Request-TW-Micro-Sessions (command 11): accepted with a member
    # link (rndfail bit 7), refused for its padding, refused without a link
    micro = bytearray(req)
    micro[0] = 11
    micro34 = bytearray(micro)
    micro34[64:68] = struct.pack('>I', 34)
    micro33 = bytearray(micro)
    micro33[64:68] = struct.pack('>I', 33)
    for name, mode in (('open', 1), ('encrypted', 4)):
        s['micro-' + name] = head(0x7f, mode, rndfail=0x80) + cmd(bytes(micro34 if mode == 1 else micro)) + \
            reply() + cmd(bytes(micro33)) + cmd(req) + reply() + cmd(start) + reply() + \
            tick(2000) + cmd(stop) + bytes([EOF])
    s['micro-no-link'] = head(0x7f, 1) + cmd(bytes(micro34)) + cmd(req) + reply() + bytes([EOF])
    return s


def http():
    # [k:1][k x split:2][request] (fuzz_http.c)
    def r(text, *cuts):
        return bytes([len(cuts)]) + b''.join(struct.pack('>H', c) for c in cuts) + text
    return {
        'get-11': r(b'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n', 5, 20, 33),
        'head-10-lf': r(b'HEAD /metrics?x=1 HTTP/1.0\n\n', 1),
        'openmetrics': r(b'GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;'
                         b' version=1.0.0;q=0.5,text/plain;q=0\r\nContent-Length: 0\r\n\r\n', 40, 90),
        'not-found': r(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
        'bad-method': r(b'POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n', 2),
        'body': r(b'GET /metrics HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello', 30),
        'chunked': r(b'GET /metrics HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n'),
        'folding': r(b'GET /metrics HTTP/1.0\r\nA: b\r\n folded\r\n\r\n', 10),
        'tls-hello': r(b'\x16\x03\x01\x02\x00\x01', 1),
        'nul': r(b'GE\x00T /metrics HTTP/1.0\r\n\r\n', 3),
        'two-hosts': r(b'GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'),
        'incomplete': r(b'GET /metrics HTTP/1.1\r\nHost: x\r\n', 4),
    }


def stamp_tlv():
    """[ctl][tos][dm:4][fu_seq:4][fu_ts:8][sport:2][dport:2][link:2 if ctl
    bit 5] + a reflected
    STAMP payload: base (44 open / 112 authenticated) and the sender's TLVs
    (RFC 8972 §4: Flags, Type, Length, Value)."""
    import hashlib, hmac

    def t(ty, v, fl=0x80):
        return struct.pack('>BBH', fl, ty, len(v)) + v

    def hdr(ctl):
        return struct.pack('>BBIIQHH', ctl, 0xb9, 7, 5, 0x1122334455667788, 50000, 862)

    key = bytes([0x0b] * 8) + bytes(24)
    v4, v6 = H('c6336407'), H('20010db8000000000000000000000007')
    every = [t(2, bytes(4) + t(4, bytes(16)) + t(7, bytes(16)) + t(1, bytes(8))),
             t(3, bytes(4)), t(4, H('b8000000')), t(5, bytes(12)), t(6, H('10010000')),
             t(7, bytes(16)), t(10, t(1, H('00000001'))), t(200, b'abcd')]
    open_b = struct.pack('>IQHH28x', 1, 0, 1, 0x4242)
    auth_b = bytearray(112)
    auth_b[3] = 9
    auth_b[51] = 4

    def signed(area):
        m = hmac.new(key, H('00000004') + area, hashlib.sha256).digest()[:16]
        return area + t(8, m)

    return {
        'every-open-v4': hdr(0x18) + open_b + b''.join(every) + t(9, v4),
        'every-open-v6': hdr(0x1c) + open_b + b''.join(every) + t(9, v6),
        'every-auth-v4': hdr(0x1b) + bytes(auth_b) + signed(b''.join(every) + t(9, v4)),
        'auth-bad-hmac': hdr(0x1b) + bytes(auth_b) + b''.join(every) + t(8, bytes(16)),
        'auth-hmac-not-last': hdr(0x1b) + bytes(auth_b) + t(8, bytes(16)) + t(3, bytes(4)),
        'no-reply': hdr(0) + open_b + t(10, t(1, bytes(4))),
        'return-address': hdr(0) + open_b + t(10, t(2, v4)),
        'location-specific': hdr(4) + open_b + t(2, bytes(4) + t(5, bytes(4)) + t(9, bytes(16))),
        'location-overrun': hdr(0) + open_b + t(2, bytes(4) + H('80040010')),
        'overrun': hdr(0) + open_b + t(3, bytes(4)) + H('8001000aaa'),
        'tail3': hdr(0) + open_b + H('800100'),
        'short': hdr(0) + open_b[:40],
        # RFC 9534 at member link 7 (ctl bit 5: [link:2] after dport):
        # Reflector IDs 0, ours, another link's, and a malformed TLV
        'micro-session-id': hdr(0x28) + struct.pack('>H', 7) + open_b +
                            t(11, H('00010000')) + t(11, H('00020007')) +
                            t(11, H('00030008')) + t(11, H('0001')),
    }


def client():
    # [modes:1][chunk:1][server octets] (fuzz_client.c): a server's side of
    # the exchange, RFC 4656 §3.1 / RFC 5357 §3.2-3.7 layouts
    def greeting(modes, count=1024):
        return bytes(12) + struct.pack('>I', modes) + b'\xc3' * 16 + b'\x5a' * 16 + \
            struct.pack('>I', count) + bytes(12)

    def server_start(accept):
        return bytes(15) + bytes([accept]) + bytes(16) + struct.pack('>Q', 0xeeb34ec3eca4a05d) + bytes(8)

    def accept(acc, port, sid):
        return bytes([acc, 0]) + struct.pack('>H', port) + bytes([sid]) * 16 + bytes(12) + bytes(16)

    def start_ack(acc):
        return bytes([acc]) + bytes(31)

    run = greeting(1) + server_start(0) + accept(0, 20000, 0xa1) + accept(0, 20001, 0xa2) + \
        accept(0, 20002, 0xa3) + start_ack(0)
    return {
        'open': bytes([0x01, 0x0f]) + run,
        'open-bytewise-eof': bytes([0x41, 0x00]) + run,
        'open-preferred': bytes([0x1f, 0x0f]) + run,
        'refused-modes-0': bytes([0x0f, 0x3f]) + greeting(0),
        'no-common-mode': bytes([0x04, 0x3f]) + greeting(1),
        'count-too-big': bytes([0x02, 0x3f]) + greeting(2, 1 << 20),
        'server-start-1': bytes([0x01, 0x3f]) + greeting(1) + server_start(1),
        'session-refused': bytes([0x01, 0x0f]) + greeting(1) + server_start(0) + accept(4, 0, 0),
        'start-refused': bytes([0x01, 0x0f]) + greeting(1) + server_start(0) +
        accept(0, 20000, 1) * 3 + start_ack(2),
        'auth-garbage': bytes([0x02, 0x07]) + greeting(2) + bytes(range(200)),
        'truncated-reset': bytes([0xc1, 0x3f]) + greeting(1)[:40],
    }


def stlv():
    """[ctl] + replies [len:2][packet]: a STAMP reply (base 44 open / 112
    authenticated, RFC 8762 §4) with TLVs as a reflector answers them
    (RFC 8972 §4: Flags, Type, Length, Value; U clear when understood)."""
    import struct

    def tlv(t, v, flags=0):
        return struct.pack('>BBH', flags, t, len(v)) + v

    def reply(seq, tlvs, base=44):
        b = bytearray(base)
        b[0:4] = struct.pack('>I', seq)
        b[16:24] = struct.pack('>Q', (3900000000 << 32) + seq * 1000)
        return bytes(b) + b''.join(tlvs)

    def framed(*pkts):
        return b''.join(struct.pack('>H', len(p)) + p for p in pkts)
    every = [tlv(2, struct.pack('>HH', 862, 40000) + tlv(5, bytes([198, 0, 0, 0])) +
                 tlv(8, bytes([192, 0, 0, 0]))),
             tlv(3, bytes([5, 2, 5, 2])), tlv(4, bytes([0xb8, 0xa4, 0, 0])),
             tlv(5, struct.pack('>III', 1, 1, 1)), tlv(6, bytes([0x10, 1, 0, 0])),
             tlv(7, bytes(16)), tlv(10, tlv(1, struct.pack('>I', 1))), tlv(200, bytes(2), 0x80),
             tlv(1, bytes(3)), tlv(9, bytes([192, 0, 2, 1]))]
    fu = tlv(7, struct.pack('>IQB3x', 0, (3900000000 << 32) + 5000, 2))
    return {
        'open-every': b'\x00' + framed(reply(0, every), reply(1, every[:5] + [fu])),
        'open-v6-short': b'\x02' + framed(reply(0, every)[:60]),
        'auth-every': b'\x01' + framed(reply(0, every + [tlv(8, bytes(16))], 112)),
        'overrun': b'\x00' + framed(reply(0, [tlv(4, bytes(4))]) + b'\x00\x04\xff\xff'),
        'template-auth': b'\x01' + tlv(5, bytes(12), 0x80) + tlv(8, bytes(16), 0x80),
    }


def main():
    for name, fn in (('ctl', ctl), ('pkt', pkt), ('crypto', crypto), ('time', time_),
                     ('ring', ring), ('ipc', ipc), ('net', net), ('profile', profile),
                     ('srv', srv), ('http', http), ('stamp_tlv', stamp_tlv), ('stlv', stlv),
                     ('client', client)):
        d = os.path.join(here, 'corpus', name)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            if f.startswith('seed-'):
                os.unlink(os.path.join(d, f))
        for k, v in fn().items():
            with open(os.path.join(d, 'seed-' + k), 'wb') as fp:
                fp.write(v)
    return 0


if __name__ == '__main__':
    sys.exit(main())
