#!/usr/bin/python3
"""ggml_ref.py — an independent NumPy port of ggml's reference block kernels
(ggml-quants.c: quantize_row_*_ref without importance matrix, dequantize_row_*),
written from ggml's source, not from qlens's C.

    python3 ggml_ref.py DIR

checks the golden files DIR/blocks/NAME_SET.q (ggml's own blocks, written by
ggml_check.c) two ways for every format and input set DIR/blocks/SET.in.f32:
this port's quantizer gives the same bytes (formats ported below), and this
port's dequantizer of ggml's bytes gives the floats that DIR/blocks/
NAME_SET.f32 will hold (written here, read by tests/test_ggml_blocks.c).

Every scalar is a numpy.float32 and every operation is done in the order
ggml's C does it, so float32 rounding is the same step for step.
"""
import os
import sys

import numpy as np

F = np.float32
QK_K = 256
GROUP_MAX_EPS = F(1e-15)
IQ4NL = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]
FP4 = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]

np.seterr(all="ignore")


# ---- scalar helpers -------------------------------------------------------

def fp16(v):
    """float32 -> binary16 bits, nearest even (NaN -> quiet NaN)"""
    v = F(v)
    if np.isnan(v):
        return 0x7E00 | (0x8000 if np.signbit(v) else 0)
    return int(np.array([v], dtype=np.float32).astype(np.float16).view(np.uint16)[0])


def f16(h):
    return F(np.array([h], dtype=np.uint16).view(np.float16)[0])


def nearest_int(v):
    t = np.array([F(v) + F(12582912.0)], dtype=np.float32).view(np.int32)[0]
    return int((int(t) & 0x007FFFFF) - 0x00400000)


def cvtt(v):
    """x86 cvttss2si: truncation, INT32_MIN for NaN / out of range"""
    v = F(v)
    if not (v > F(-2147483648.0) and v < F(2147483648.0)):
        return -2147483648
    return int(v)


def low8_signed(i):
    i &= 0xFF
    return i - 256 if i >= 128 else i


def lroundf_int(v):
    v = F(v)
    if not np.isfinite(v) or abs(float(v)) >= 9.2e18:
        return 0
    r = np.floor(abs(float(v)) + 0.5)
    return int(-r if v < 0 else r)


def clamp(v, lo, hi):
    return lo if v < lo else hi if v > hi else v


# ---- legacy blocks of 32 --------------------------------------------------

def q_q4_1(x):
    out = bytearray()
    for b in range(0, len(x), 32):
        xb = x[b:b + 32]
        mn, mx = F(np.finfo(np.float32).max), F(-np.finfo(np.float32).max)
        for v in xb:
            if v < mn:
                mn = v
            if v > mx:
                mx = v
        d = F((mx - mn) / F(15))
        idd = F(1) / d if d != 0 else F(0)
        out += fp16(d).to_bytes(2, "little") + fp16(mn).to_bytes(2, "little")
        for j in range(16):
            c = []
            for v in (xb[j], xb[j + 16]):
                q = low8_signed(cvtt(F(F(v - mn) * idd) + F(0.5)))
                c.append(min(15, q) & 0xFF)
            out.append(c[0] | (c[1] << 4) & 0xFF)
    return bytes(out)


def absmax_signed(xb):
    amax, mx = F(0), F(0)
    for v in xb:
        if amax < abs(v):
            amax, mx = abs(v), v
    return amax, mx


def q_q5_0(x):
    out = bytearray()
    for b in range(0, len(x), 32):
        xb = x[b:b + 32]
        _, mx = absmax_signed(xb)
        d = F(mx / F(-16))
        idd = F(1) / d if d != 0 else F(0)
        qs, qh = bytearray(16), 0
        for j in range(16):
            c0 = min(31, low8_signed(cvtt(F(xb[j] * idd) + F(16.5)))) & 0xFF
            c1 = min(31, low8_signed(cvtt(F(xb[j + 16] * idd) + F(16.5)))) & 0xFF
            qs[j] = (c0 & 15) | (c1 & 15) << 4
            qh |= ((c0 & 0x10) >> 4) << j
            qh |= ((c1 & 0x10) >> 4) << (j + 16)
        out += fp16(d).to_bytes(2, "little") + qh.to_bytes(4, "little") + qs
    return bytes(out)


def q_q5_1(x):
    out = bytearray()
    for b in range(0, len(x), 32):
        xb = x[b:b + 32]
        mn, mx = F(np.finfo(np.float32).max), F(-np.finfo(np.float32).max)
        for v in xb:
            if v < mn:
                mn = v
            if v > mx:
                mx = v
        d = F((mx - mn) / F(31))
        idd = F(1) / d if d != 0 else F(0)
        qs, qh = bytearray(16), 0
        for j in range(16):
            c0 = cvtt(F(F(xb[j] - mn) * idd) + F(0.5)) & 0xFF
            c1 = cvtt(F(F(xb[j + 16] - mn) * idd) + F(0.5)) & 0xFF
            qs[j] = (c0 & 15) | (c1 & 15) << 4
            qh |= ((c0 & 0x10) >> 4) << j
            qh |= ((c1 & 0x10) >> 4) << (j + 16)
        out += fp16(d).to_bytes(2, "little") + fp16(mn).to_bytes(2, "little")
        out += qh.to_bytes(4, "little") + qs
    return bytes(out)


# ---- k-quant searches ------------------------------------------------------

def make_qkx2(x, w, nmax, rmin, rdelta, nstep, use_mad):
    n = len(x)
    mn = mx = x[0]
    sum_w = w[0]
    sum_x = F(sum_w * x[0])
    for i in range(1, n):
        if x[i] < mn:
            mn = x[i]
        if x[i] > mx:
            mx = x[i]
        sum_w = F(sum_w + w[i])
        sum_x = F(sum_x + F(w[i] * x[i]))
    if mn > 0:
        mn = F(0)
    if mx == mn:
        return F(0), F(-mn), [0] * n
    iscale = F(F(nmax) / F(mx - mn))
    scale = F(F(1) / iscale)
    L = []
    best = F(0)
    for i in range(n):
        l = clamp(nearest_int(F(iscale * F(x[i] - mn))), 0, nmax)
        L.append(l)
        diff = F(F(F(scale * F(l)) + mn) - x[i])
        diff = abs(diff) if use_mad else F(diff * diff)
        best = F(best + F(w[i] * diff))
    for step in range(nstep + 1):
        iscale = F(F(F(rmin + F(rdelta * F(step))) + F(nmax)) / F(mx - mn))
        sl = sl2 = sxl = F(0)
        La = []
        for i in range(n):
            l = clamp(nearest_int(F(iscale * F(x[i] - mn))), 0, nmax)
            La.append(l)
            sl = F(sl + F(w[i] * F(l)))
            sl2 = F(sl2 + F(F(w[i] * F(l)) * F(l)))
            sxl = F(sxl + F(F(w[i] * F(l)) * x[i]))
        D = F(F(sum_w * sl2) - F(sl * sl))
        if D > 0:
            ts = F(F(F(sum_w * sxl) - F(sum_x * sl)) / D)
            tm = F(F(F(sl2 * sum_x) - F(sl * sxl)) / D)
            if tm > 0:
                tm = F(0)
                ts = F(sxl / sl2)
            cur = F(0)
            for i in range(n):
                diff = F(F(F(ts * F(La[i])) + tm) - x[i])
                diff = abs(diff) if use_mad else F(diff * diff)
                cur = F(cur + F(w[i] * diff))
            if cur < best:
                L, best, scale, mn = La, cur, ts, tm
    return scale, F(-mn), L


def make_qx(x, nmax):
    """make_qx_quants, rmse_type 1, no weights"""
    n = len(x)
    amax, mx = F(0), F(0)
    for v in x:
        if abs(v) > amax:
            amax, mx = abs(v), v
    if amax < GROUP_MAX_EPS:
        return F(0), [0] * n
    iscale = F(F(-nmax) / mx)
    slx = sl2 = F(0)
    L = []
    for v in x:
        l = clamp(nearest_int(F(iscale * v)), -nmax, nmax - 1)
        L.append(l + nmax)
        w = F(v * v)
        slx = F(slx + F(F(w * v) * F(l)))
        sl2 = F(sl2 + F(F(w * F(l)) * F(l)))
    scale = F(slx / sl2) if sl2 != 0 else F(0)
    best = F(scale * slx)
    for s in range(-9, 10):
        if s == 0:
            continue
        iscale = F(-F(F(nmax) + F(F(0.1) * F(s))) / mx)
        slx = sl2 = F(0)
        for v in x:
            l = clamp(nearest_int(F(iscale * v)), -nmax, nmax - 1)
            w = F(v * v)
            slx = F(slx + F(F(w * v) * F(l)))
            sl2 = F(sl2 + F(F(w * F(l)) * F(l)))
        if sl2 > 0 and F(slx * slx) > F(best * sl2):
            L = [nmax + clamp(nearest_int(F(iscale * v)), -nmax, nmax - 1) for v in x]
            scale = F(slx / sl2)
            best = F(scale * slx)
    return scale, L


def make_q3(x, nmax):
    n = len(x)
    amax, mx = F(0), F(0)
    for v in x:
        if abs(v) > amax:
            amax, mx = abs(v), v
    if amax < GROUP_MAX_EPS:
        return F(0), [0] * n
    iscale = F(F(-nmax) / mx)
    slx = sl2 = F(0)
    L = []
    for v in x:
        l = clamp(nearest_int(F(iscale * v)), -nmax, nmax - 1)
        L.append(l)
        w = F(v * v)
        slx = F(slx + F(F(w * v) * F(l)))
        sl2 = F(sl2 + F(F(w * F(l)) * F(l)))
    for _ in range(5):
        changed = 0
        for i in range(n):
            w = F(x[i] * x[i])
            s1 = F(slx - F(F(w * x[i]) * F(L[i])))
            if s1 > 0:
                s2 = F(sl2 - F(F(w * F(L[i])) * F(L[i])))
                nl = clamp(nearest_int(F(F(x[i] * s2) / s1)), -nmax, nmax - 1)
                if nl != L[i]:
                    s1 = F(s1 + F(F(w * x[i]) * F(nl)))
                    s2 = F(s2 + F(F(w * F(nl)) * F(nl)))
                    if s2 > 0 and F(F(s1 * s1) * sl2) > F(F(slx * slx) * s2):
                        L[i], slx, sl2 = nl, s1, s2
                        changed += 1
        if not changed:
            break
    return (F(slx / sl2) if sl2 > 0 else F(0)), [l + nmax for l in L]


def pack2(L):
    qs = bytearray(64)
    for j in range(0, 256, 128):
        for l in range(32):
            qs[j // 4 + l] = L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4 | (L[j + l + 96] << 6) & 0xFF
    return qs


def q_q2_k(x):
    out = bytearray()
    for b in range(0, len(x), QK_K):
        xb = x[b:b + QK_K]
        L = [0] * QK_K
        scales, mins = [], []
        max_scale = max_min = F(0)
        for j in range(16):
            seg = xb[16 * j:16 * j + 16]
            w = [abs(v) for v in seg]
            s, m, Lj = make_qkx2(seg, w, 3, F(-0.5), F(0.1), 15, True)
            L[16 * j:16 * j + 16] = Lj
            scales.append(s)
            mins.append(m)
            if s > max_scale:
                max_scale = s
            if m > max_min:
                max_min = m
        sc = [0] * 16
        if max_scale > 0:
            iscale = F(F(15) / max_scale)
            sc = [nearest_int(F(iscale * s)) & 0xFF for s in scales]
            d = fp16(F(max_scale / F(15)))
        else:
            d = fp16(F(0))
        if max_min > 0:
            iscale = F(F(15) / max_min)
            sc = [(sc[j] | (nearest_int(F(iscale * mins[j])) << 4)) & 0xFF for j in range(16)]
            dmin = fp16(F(max_min / F(15)))
        else:
            dmin = fp16(F(0))
        for j in range(16):
            dd = F(f16(d) * F(sc[j] & 15))
            if dd == 0:
                continue
            dm = F(f16(dmin) * F(sc[j] >> 4))
            for i in range(16):
                L[16 * j + i] = clamp(nearest_int(F(F(xb[16 * j + i] + dm) / dd)), 0, 3)
        out += bytes(sc) + pack2(L) + d.to_bytes(2, "little") + dmin.to_bytes(2, "little")
    return bytes(out)


def q3_scale(s, j):
    lo = s[j] & 15 if j < 8 else s[j - 8] >> 4
    hi = (s[8 + j % 4] >> (2 * (j // 4))) & 3
    return (lo | hi << 4) - 32


def q_q3_k(x):
    out = bytearray()
    for b in range(0, len(x), QK_K):
        xb = x[b:b + QK_K]
        L = [0] * QK_K
        scales = []
        max_scale = amax = F(0)
        for j in range(16):
            s, Lj = make_q3(xb[16 * j:16 * j + 16], 4)
            L[16 * j:16 * j + 16] = Lj
            scales.append(s)
            if abs(s) > amax:
                amax, max_scale = abs(s), s
        sc = bytearray(12)
        if max_scale != 0:
            iscale = F(F(-32) / max_scale)
            for j in range(16):
                l = clamp(low8_signed(nearest_int(F(iscale * scales[j]))), -32, 31) + 32
                if j < 8:
                    sc[j] = l & 15
                else:
                    sc[j - 8] |= (l & 15) << 4
                sc[j % 4 + 8] |= (l >> 4) << (2 * (j // 4))
            d = fp16(F(F(1) / iscale))
        else:
            d = fp16(F(0))
        for j in range(16):
            dd = F(f16(d) * F(q3_scale(sc, j)))
            if dd == 0:
                continue
            for i in range(16):
                L[16 * j + i] = clamp(nearest_int(F(xb[16 * j + i] / dd)), -4, 3) + 4
        hmask = bytearray(32)
        for j in range(QK_K):
            if L[j] > 3:
                hmask[j % 32] |= 1 << (j // 32)
                L[j] -= 4
        out += hmask + pack2(L) + sc + d.to_bytes(2, "little")
    return bytes(out)


def scale_min_k4(j, q):
    if j < 4:
        return q[j] & 63, q[j + 4] & 63
    return (q[j + 4] & 15) | (q[j - 4] >> 6) << 4, (q[j + 4] >> 4) | (q[j] >> 6) << 4


def kx_block(xb, nmax, rmin, nstep):
    L = [0] * QK_K
    scales, mins = [], []
    max_scale = max_min = F(0)
    for j in range(8):
        seg = xb[32 * j:32 * j + 32]
        sx2 = F(0)
        for v in seg:
            sx2 = F(sx2 + F(v * v))
        av = F(np.sqrt(F(sx2 / F(32))))
        w = [F(av + abs(v)) for v in seg]
        s, m, Lj = make_qkx2(seg, w, nmax, rmin, F(0.1), nstep, False)
        L[32 * j:32 * j + 32] = Lj
        scales.append(s)
        mins.append(m)
        if s > max_scale:
            max_scale = s
        if m > max_min:
            max_min = m
    inv_s = F(F(63) / max_scale) if max_scale > 0 else F(0)
    inv_m = F(F(63) / max_min) if max_min > 0 else F(0)
    pk = bytearray(12)
    for j in range(8):
        ls = min(63, nearest_int(F(inv_s * scales[j])) & 0xFF)
        lm = min(63, nearest_int(F(inv_m * mins[j])) & 0xFF)
        if j < 4:
            pk[j], pk[j + 4] = ls, lm
        else:
            pk[j + 4] = (ls & 15) | (lm & 15) << 4
            pk[j - 4] |= (ls >> 4) << 6
            pk[j] |= (lm >> 4) << 6
    d = fp16(F(max_scale / F(63)))
    dmin = fp16(F(max_min / F(63)))
    for j in range(8):
        s, m = scale_min_k4(j, pk)
        dd = F(f16(d) * F(s))
        if dd == 0:
            continue
        dm = F(f16(dmin) * F(m))
        for i in range(32):
            L[32 * j + i] = clamp(nearest_int(F(F(xb[32 * j + i] + dm) / dd)), 0, nmax)
    return d, dmin, pk, L


def q_q4_k(x):
    out = bytearray()
    for b in range(0, len(x), QK_K):
        d, dmin, pk, L = kx_block(x[b:b + QK_K], 15, F(-1.0), 20)
        qs = bytearray(128)
        for j in range(0, QK_K, 64):
            for l in range(32):
                qs[j // 2 + l] = L[j + l] | L[j + l + 32] << 4
        out += d.to_bytes(2, "little") + dmin.to_bytes(2, "little") + pk + qs
    return bytes(out)


def q_q5_k(x):
    out = bytearray()
    for b in range(0, len(x), QK_K):
        d, dmin, pk, L = kx_block(x[b:b + QK_K], 31, F(-0.5), 15)
        qh, ql = bytearray(32), bytearray(128)
        for g, n in enumerate(range(0, QK_K, 64)):
            for j in range(32):
                l1, l2 = L[n + j], L[n + j + 32]
                if l1 > 15:
                    l1 -= 16
                    qh[j] |= 1 << (2 * g)
                if l2 > 15:
                    l2 -= 16
                    qh[j] |= 2 << (2 * g)
                ql[32 * g + j] = l1 | l2 << 4
        out += d.to_bytes(2, "little") + dmin.to_bytes(2, "little") + pk + qh + ql
    return bytes(out)


def q_q6_k(x):
    out = bytearray()
    for b in range(0, len(x), QK_K):
        xb = x[b:b + QK_K]
        L = [0] * QK_K
        scales = []
        max_scale = max_abs = F(0)
        for ib in range(16):
            s, Lj = make_qx(xb[16 * ib:16 * ib + 16], 32)
            L[16 * ib:16 * ib + 16] = Lj
            scales.append(s)
            if abs(s) > max_abs:
                max_abs, max_scale = abs(s), s
        if max_abs < GROUP_MAX_EPS:
            out += bytes(210)
            continue
        iscale = F(F(-128) / max_scale)
        d = fp16(F(F(1) / iscale))
        sc = [low8_signed(min(127, nearest_int(F(iscale * s)))) for s in scales]
        for j in range(16):
            dd = F(f16(d) * F(sc[j]))
            if dd == 0:
                continue
            for i in range(16):
                L[16 * j + i] = clamp(nearest_int(F(xb[16 * j + i] / dd)), -32, 31) + 32
        ql, qh = bytearray(128), bytearray(64)
        for h, j in enumerate(range(0, QK_K, 128)):
            for l in range(32):
                c = [L[j + l + 32 * t] for t in range(4)]
                ql[64 * h + l] = (c[0] & 15) | (c[2] & 15) << 4
                ql[64 * h + l + 32] = (c[1] & 15) | (c[3] & 15) << 4
                qh[32 * h + l] = (c[0] >> 4) | (c[1] >> 4) << 2 | (c[2] >> 4) << 4 | (c[3] >> 4) << 6
        out += ql + qh + bytes(s & 0xFF for s in sc) + d.to_bytes(2, "little")
    return bytes(out)


def q_q8_k(x):
    out = bytearray()
    for b in range(0, len(x), QK_K):
        xb = x[b:b + QK_K]
        amax, mx = F(0), F(0)
        for v in xb:
            if abs(v) > amax:
                amax, mx = abs(v), v
        if amax == 0:
            out += bytes(292)
            continue
        iscale = F(F(-127) / mx)
        qs = [low8_signed(min(127, nearest_int(F(iscale * v)))) for v in xb]
        bs = [sum(qs[16 * j:16 * j + 16]) for j in range(16)]
        out += np.array([F(1) / iscale], dtype=np.float32).tobytes()
        out += bytes(q & 0xFF for q in qs) + np.array(bs, dtype="<i2").tobytes()
    return bytes(out)


# ---- IQ4 -------------------------------------------------------------------

def best_index(x):
    v = IQ4NL
    if x <= v[0]:
        return 0
    if x >= v[15]:
        return 15
    ml, mu = 0, 15
    while mu - ml > 1:
        mav = (ml + mu) // 2
        if x < v[mav]:
            mu = mav
        else:
            ml = mav
    return mu - 1 if F(x - F(v[mu - 1])) < F(F(v[mu]) - x) else mu


def iq4_impl(x, ntry, Lkeep):
    sbs = len(x)
    scales = []
    L = Lkeep
    max_scale = amax_scale = F(0)
    for ib in range(sbs // 32):
        xb = x[32 * ib:32 * ib + 32]
        w = [F(v * v) for v in xb]
        amax, mx = F(0), F(0)
        for v in xb:
            if abs(v) > amax:
                amax, mx = abs(v), v
        if amax < GROUP_MAX_EPS:
            scales.append(F(0))
            continue
        d = F(F(-mx) / F(IQ4NL[0])) if ntry > 0 else F(mx / F(IQ4NL[0]))
        idd = F(F(1) / d)
        sqx = sq2 = F(0)
        for j in range(32):
            l = best_index(F(idd * xb[j]))
            L[32 * ib + j] = l
            q = F(IQ4NL[l])
            sqx = F(sqx + F(F(w[j] * q) * xb[j]))
            sq2 = F(sq2 + F(F(w[j] * q) * q))
        d = F(sqx / sq2) if sq2 > 0 else F(0)
        best = F(d * sqx)
        for t in range(-ntry, ntry + 1):
            idd = F(F(t + IQ4NL[0]) / mx)
            sqx = sq2 = F(0)
            for j in range(32):
                q = F(IQ4NL[best_index(F(idd * xb[j]))])
                sqx = F(sqx + F(F(w[j] * q) * xb[j]))
                sq2 = F(sq2 + F(F(w[j] * q) * q))
            if sq2 > 0 and F(sqx * sqx) > F(best * sq2):
                d = F(sqx / sq2)
                best = F(d * sqx)
        scales.append(d)
        if abs(d) > amax_scale:
            amax_scale, max_scale = abs(d), d
    head = b""
    if sbs > 32:
        d = F(-max_scale / F(32))
        idd = F(F(1) / d) if d != 0 else F(0)
        sl, sh = bytearray(4), 0
        for ib in range(sbs // 32):
            l = clamp(nearest_int(F(idd * scales[ib])), -32, 31)
            dl = F(d * F(l))
            idl = F(F(1) / dl) if dl != 0 else F(0)
            for j in range(32):
                L[32 * ib + j] = best_index(F(idl * x[32 * ib + j]))
            l += 32
            sl[ib // 2] |= (l & 15) << (4 * (ib % 2))
            sh |= (l >> 4) << (2 * ib)
        head = fp16(d).to_bytes(2, "little") + sh.to_bytes(2, "little") + sl
    else:
        head = fp16(scales[0]).to_bytes(2, "little")
    qs = bytearray(sbs // 2)
    for i in range(sbs // 32):
        for j in range(16):
            qs[16 * i + j] = L[32 * i + j] | L[32 * i + 16 + j] << 4
    return head + qs


def q_iq4_nl(x):
    L = [0] * 32
    return b"".join(iq4_impl(x[b:b + 32], -1, L) for b in range(0, len(x), 32))


def q_iq4_xs(x):
    L = [0] * QK_K
    return b"".join(iq4_impl(x[b:b + QK_K], 7, L) for b in range(0, len(x), QK_K))


# ---- ternary ----------------------------------------------------------------

def tq_absmax(xb):
    amax = F(0)
    for v in xb:
        a = abs(v)
        amax = amax if amax > a else a   # ggml's MAX(a, b): a > b ? a : b
    return amax


def q_tq1_0(x):
    out = bytearray()
    for b in range(0, len(x), QK_K):
        xb = x[b:b + QK_K]
        d = tq_absmax(xb)
        idd = F(F(1) / d) if d != 0 else F(0)
        t = [lroundf_int(F(v * idd)) + 1 for v in xb]
        qs, qh = bytearray(48), bytearray(4)
        pos = 0
        for base, width in ((0, 32), (32, 16)):
            for m in range(width):
                q = 0
                for n in range(5):
                    q = (q * 3 + t[pos + m + n * width]) & 0xFF
                qs[base + m] = ((q * 256 + 242) // 243) & 0xFF
            pos += 5 * width
        for j in range(4):
            q = 0
            for m in range(4):
                q = (q * 3 + t[pos + j + 4 * m]) & 0xFF
            q = (q * 3) & 0xFF
            qh[j] = ((q * 256 + 242) // 243) & 0xFF
        out += qs + qh + fp16(d).to_bytes(2, "little")
    return bytes(out)


def q_tq2_0(x):
    out = bytearray()
    for b in range(0, len(x), QK_K):
        xb = x[b:b + QK_K]
        d = tq_absmax(xb)
        idd = F(F(1) / d) if d != 0 else F(0)
        qs = bytearray(64)
        for j in range(0, 64, 32):
            for m in range(32):
                q = 0
                for n in range(4):
                    q += ((lroundf_int(F(xb[4 * j + m + 32 * n] * idd)) + 1) & 3) << (2 * n)
                qs[j + m] = q & 0xFF
        out += qs + fp16(d).to_bytes(2, "little")
    return bytes(out)


# ---- ggml's FP4 ---------------------------------------------------------------

def e8m0_half(e):
    bits = (0x00200000 << e) if e < 2 else (e - 1) << 23
    return F(np.array([bits], dtype=np.uint32).view(np.float32)[0])


def ue4m3_half(u):
    if u == 0 or u == 0x7F:
        return F(0)
    e, m = (u >> 3) & 15, u & 7
    raw = F(np.ldexp(F(m), -9)) if e == 0 else F(np.ldexp(F(1) + F(F(m) / F(8)), e - 7))
    return F(raw * F(0.5))


def to_ue4m3(x):
    x = F(x)
    if not x > 0:
        return 0
    if x > 448:
        x = F(448)
    bits = int(np.array([x], dtype=np.float32).view(np.uint32)[0])
    e = ((bits >> 23) & 0xFF) - 127 + 7
    if e <= 0:
        m = min(7, int(F(F(x * F(512)) + F(0.5))))
        return 0 if m < 1 else m
    if e >= 15:
        return 0x7E
    m = ((bits >> 20) & 7) + ((bits >> 19) & 1)
    if m > 7:
        m = 0
        e += 1
        if e >= 15:
            return 0x7E
    return e << 3 | m


def nearest_fp4(x, e):
    best, berr = 0, abs(F(F(FP4[0]) * e) - x)
    for i in range(1, 16):
        err = abs(F(F(FP4[i]) * e) - x)
        if err < berr:
            best, berr = i, err
    return best


def q_mxfp4(x):
    out = bytearray()
    for b in range(0, len(x), 32):
        xb = x[b:b + 32]
        amax = F(0)
        for v in xb:
            if amax < abs(v):
                amax = abs(v)
        e = 0
        if amax > 0:
            f = F(F(F(np.floor(np.log2(amax))) - F(2)) + F(127))
            e = cvtt(f) & 0xFF
        d = e8m0_half(e)
        out.append(e)
        out += bytes(nearest_fp4(xb[j], d) | nearest_fp4(xb[j + 16], d) << 4 for j in range(16))
    return bytes(out)


def q_nvfp4(x):
    out = bytearray()
    for b in range(0, len(x), 64):
        ds, qs = bytearray(), bytearray()
        for s in range(4):
            xb = x[b + 16 * s:b + 16 * s + 16]
            amax = F(0)
            for v in xb:
                if amax < abs(v):
                    amax = abs(v)
            u = to_ue4m3(F(amax / F(6)))
            ds.append(u)
            d = ue4m3_half(u)
            qs += bytes(nearest_fp4(xb[j], d) | nearest_fp4(xb[j + 8], d) << 4 for j in range(8))
        out += ds + qs
    return bytes(out)


# ---- dequantizers (vectorised, float32 throughout) --------------------------

def h16(b, off):
    return b[:, off:off + 2].copy().view("<u2")[:, 0].view(np.float16).astype(np.float32)


def d_q4_0(b):
    d = h16(b, 0)[:, None]
    q = b[:, 2:18]
    c = np.concatenate([q & 15, q >> 4], 1).astype(np.int32) - 8
    return (c.astype(F) * d).ravel()


def d_q8_0(b):
    return (b[:, 2:].view(np.int8).astype(F) * h16(b, 0)[:, None]).ravel()


def d_q4_1(b):
    d, m = h16(b, 0)[:, None], h16(b, 2)[:, None]
    q = b[:, 4:20]
    c = np.concatenate([q & 15, q >> 4], 1).astype(F)
    return (c * d + m).ravel()


def q5_codes(b, hoff, qoff):
    qh = b[:, hoff:hoff + 4].copy().view("<u4")[:, 0]
    q = b[:, qoff:qoff + 16]
    lo = np.concatenate([q & 15, q >> 4], 1).astype(np.int32)
    bits = (qh[:, None] >> np.arange(32, dtype=np.uint32)) & 1
    return lo | (bits.astype(np.int32) << 4)


def d_q5_0(b):
    return ((q5_codes(b, 2, 6) - 16).astype(F) * h16(b, 0)[:, None]).ravel()


def d_q5_1(b):
    return (q5_codes(b, 4, 8).astype(F) * h16(b, 0)[:, None] + h16(b, 2)[:, None]).ravel()


def unpack2(qs):
    """per 32 bytes: the four 2-bit fields, 32 values each"""
    out = []
    for h in range(qs.shape[1] // 32):
        q = qs[:, 32 * h:32 * h + 32]
        for s in range(4):
            out.append((q >> (2 * s)) & 3)
    return np.concatenate(out, 1).astype(np.int32)


def d_q2_k(b):
    sc = b[:, 0:16].astype(np.int32)
    d, dm = h16(b, 80)[:, None], h16(b, 82)[:, None]
    dl = np.repeat(d * (sc & 15).astype(F), 16, 1)
    ml = np.repeat(dm * (sc >> 4).astype(F), 16, 1)
    return (dl * unpack2(b[:, 16:80]).astype(F) - ml).ravel()


def d_q3_k(b):
    hm, qs, s = b[:, 0:32], b[:, 32:96], b[:, 96:108].astype(np.int32)
    d = h16(b, 108)[:, None]
    sc = np.stack([q3_scale_np(s, j) for j in range(16)], 1)
    low = unpack2(qs)
    j = np.arange(256)
    high = (hm[:, j % 32] >> (j // 32)) & 1
    c = low - np.where(high != 0, 0, 4)
    dl = np.repeat(d * sc.astype(F), 16, 1)
    return (dl * c.astype(F)).ravel()


def q3_scale_np(s, j):
    lo = s[:, j] & 15 if j < 8 else s[:, j - 8] >> 4
    hi = (s[:, 8 + j % 4] >> (2 * (j // 4))) & 3
    return (lo | hi << 4) - 32


def k4_scales(pk):
    pk = pk.astype(np.int32)
    sc, mn = [], []
    for j in range(8):
        if j < 4:
            sc.append(pk[:, j] & 63)
            mn.append(pk[:, j + 4] & 63)
        else:
            sc.append((pk[:, j + 4] & 15) | (pk[:, j - 4] >> 6) << 4)
            mn.append((pk[:, j + 4] >> 4) | (pk[:, j] >> 6) << 4)
    return np.stack(sc, 1), np.stack(mn, 1)


def d_q4_k(b):
    d, dm = h16(b, 0)[:, None], h16(b, 2)[:, None]
    sc, mn = k4_scales(b[:, 4:16])
    qs = b[:, 16:144]
    c = np.concatenate([np.concatenate([qs[:, 32 * g:32 * g + 32] & 15, qs[:, 32 * g:32 * g + 32] >> 4], 1)
                        for g in range(4)], 1).astype(F)
    d1 = np.repeat(d * sc.astype(F), 32, 1)
    m1 = np.repeat(dm * mn.astype(F), 32, 1)
    return (d1 * c - m1).ravel()


def d_q5_k(b):
    d, dm = h16(b, 0)[:, None], h16(b, 2)[:, None]
    sc, mn = k4_scales(b[:, 4:16])
    qh, ql = b[:, 16:48].astype(np.int32), b[:, 48:176]
    parts = []
    for g in range(4):
        q = ql[:, 32 * g:32 * g + 32].astype(np.int32)
        parts.append((q & 15) + np.where(qh & (1 << (2 * g)), 16, 0))
        parts.append((q >> 4) + np.where(qh & (2 << (2 * g)), 16, 0))
    c = np.concatenate(parts, 1).astype(F)
    d1 = np.repeat(d * sc.astype(F), 32, 1)
    m1 = np.repeat(dm * mn.astype(F), 32, 1)
    return (d1 * c - m1).ravel()


def d_q6_k(b):
    ql, qh = b[:, 0:128].astype(np.int32), b[:, 128:192].astype(np.int32)
    sc = b[:, 192:208].view(np.int8).astype(F)
    d = h16(b, 208)[:, None]
    out = np.zeros((b.shape[0], 256), dtype=F)
    for h in range(2):
        L, H = ql[:, 64 * h:64 * h + 64], qh[:, 32 * h:32 * h + 32]
        q = [(L[:, 0:32] & 15) | ((H >> 0) & 3) << 4, (L[:, 32:64] & 15) | ((H >> 2) & 3) << 4,
             (L[:, 0:32] >> 4) | ((H >> 4) & 3) << 4, (L[:, 32:64] >> 4) | ((H >> 6) & 3) << 4]
        for t in range(4):
            for half in range(2):
                s = sc[:, 8 * h + 2 * t + half][:, None]
                cols = slice(128 * h + 32 * t + 16 * half, 128 * h + 32 * t + 16 * half + 16)
                out[:, cols] = (d * s) * (q[t][:, 16 * half:16 * half + 16] - 32).astype(F)
    return out.ravel()


def d_q8_k(b):
    d = b[:, 0:4].copy().view("<f4")[:, 0][:, None]
    return (d * b[:, 4:260].view(np.int8).astype(F)).ravel()


def d_iq4_nl(b):
    d = h16(b, 0)[:, None]
    q = b[:, 2:18]
    c = np.array(IQ4NL, dtype=F)[np.concatenate([q & 15, q >> 4], 1)]
    return (d * c).ravel()


def d_iq4_xs(b):
    d = h16(b, 0)[:, None]
    sh = b[:, 2:4].copy().view("<u2")[:, 0].astype(np.int32)
    sl = b[:, 4:8].astype(np.int32)
    qs = b[:, 8:136]
    lv = np.array(IQ4NL, dtype=F)
    out = []
    for ib in range(8):
        ls = ((sl[:, ib // 2] >> (4 * (ib % 2))) & 15) | ((sh >> (2 * ib)) & 3) << 4
        dl = d * (ls - 32).astype(F)[:, None]
        q = qs[:, 16 * ib:16 * ib + 16]
        out.append(dl * lv[np.concatenate([q & 15, q >> 4], 1)])
    return np.concatenate(out, 1).ravel()


def d_tq1_0(b):
    d = h16(b, 52)[:, None]
    pow3 = [1, 3, 9, 27, 81, 243]

    def trits(byts, n):
        q = (byts.astype(np.uint32) * pow3[n]) & 0xFF
        return ((q * 3) >> 8).astype(np.int32) - 1
    parts = []
    for lo, hi in ((0, 32), (32, 48)):
        for n in range(5):
            parts.append(trits(b[:, lo:hi], n))
    for n in range(4):
        parts.append(trits(b[:, 48:52], n))
    return (np.concatenate(parts, 1).astype(F) * d).ravel()


def d_tq2_0(b):
    return ((unpack2(b[:, 0:64]) - 1).astype(F) * h16(b, 64)[:, None]).ravel()


def d_mxfp4(b):
    d = np.array([e8m0_half(int(e)) for e in b[:, 0]], dtype=F)[:, None]
    q = b[:, 1:17]
    return (np.array(FP4, dtype=F)[np.concatenate([q & 15, q >> 4], 1)] * d).ravel()


def d_nvfp4(b):
    out = []
    for s in range(4):
        d = np.array([ue4m3_half(int(u)) for u in b[:, s]], dtype=F)[:, None]
        q = b[:, 4 + 8 * s:12 + 8 * s]
        out.append(np.array(FP4, dtype=F)[np.concatenate([q & 15, q >> 4], 1)] * d)
    return np.concatenate(out, 1).ravel()


# name: (block, bytes, quantizer or None, dequantizer)
FORMATS = {
    "q8_0": (32, 34, None, d_q8_0),
    "q4_0": (32, 18, None, d_q4_0),
    "q4_1": (32, 20, q_q4_1, d_q4_1),
    "q5_0": (32, 22, q_q5_0, d_q5_0),
    "q5_1": (32, 24, q_q5_1, d_q5_1),
    "q2_k": (256, 84, q_q2_k, d_q2_k),
    "q3_k": (256, 110, q_q3_k, d_q3_k),
    "q4_k": (256, 144, q_q4_k, d_q4_k),
    "q5_k": (256, 176, q_q5_k, d_q5_k),
    "q6_k": (256, 210, q_q6_k, d_q6_k),
    "q8_k": (256, 292, q_q8_k, d_q8_k),
    "iq4_nl": (32, 18, q_iq4_nl, d_iq4_nl),
    "iq4_xs": (256, 136, q_iq4_xs, d_iq4_xs),
    "tq1_0": (256, 54, q_tq1_0, d_tq1_0),
    "tq2_0": (256, 66, q_tq2_0, d_tq2_0),
    "mxfp4_ggml": (32, 17, q_mxfp4, d_mxfp4),
    "nvfp4": (64, 36, q_nvfp4, d_nvfp4),
}

SETS = ["random", "weights", "outliers", "zero", "constant", "tiny", "huge", "signed_zero",
        "subnormal", "ties", "mixed_blocks"]


def dequantize(name, raw):
    block, nbytes, _, deq = FORMATS[name]
    b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, nbytes)
    return deq(b).astype(np.float32)


def main():
    d = os.path.join(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__), "blocks")
    bad = 0
    for name, (block, nbytes, quant, deq) in FORMATS.items():
        qsame = 0
        for s in SETS:
            x = list(np.fromfile(os.path.join(d, s + ".in.f32"), dtype="<f4"))
            raw = open(os.path.join(d, "%s_%s.q" % (name, s)), "rb").read()
            if quant is not None:
                mine = quant([F(v) for v in x])
                if name == "iq4_nl":   # ggml leaves d = 0 blocks' codes unset
                    mine = bytearray(mine)
                    for i in range(0, len(raw), 18):
                        if raw[i:i + 2] == b"\0\0" and mine[i:i + 2] == b"\0\0":
                            mine[i + 2:i + 18] = raw[i + 2:i + 18]
                    mine = bytes(mine)
                if mine != raw:
                    at = next(i for i in range(len(raw)) if mine[i] != raw[i])
                    print("%-10s %-12s port's bytes differ at %d (%02x, ggml %02x)" %
                          (name, s, at, mine[at], raw[at]))
                    bad += 1
                else:
                    qsame += 1
            y = dequantize(name, raw)
            y.astype("<f4").tofile(os.path.join(d, "%s_%s.f32" % (name, s)))
        print("%-10s quantize: %s" % (name, "%d/%d sets equal to ggml" % (qsame, len(SETS))
                                      if quant else "not ported (checked in test_blocks.c)"))
    print("ggml_ref.py: %d differences" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
