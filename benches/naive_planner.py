"""The split planner of `engine_core::planner`, step for step in plain Python.

The baseline of `test_bench_planner.py` (the Rust planner called from Python must be
>= 20x faster) and the reference of the agreement test: the same integer arithmetic
(reference notionals, effective-price keys, half-to-even rounding at 18 decimals), so
both give the same plan to the last digit. Input is the facade's `PlanRequest`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pyengine.routing.planner import Candidate, PlanRequest

OUT = 18


class NaivePlanError(ValueError):
    """Input the planner refuses."""


@dataclass(frozen=True)
class NaiveLeg:
    venue: str
    symbol: str
    side: str
    qty: Decimal
    coins: Decimal
    vwap: Decimal
    worst_px: Decimal
    levels: int
    gross: Decimal
    fee: Decimal
    maker_fee: Decimal
    carry: Decimal
    ref_notional: Decimal
    cost: Decimal


@dataclass(frozen=True)
class NaivePlan:
    legs: list[NaiveLeg]
    filled_coins: Decimal
    residual_coins: Decimal
    shortfall: str | None
    gross: Decimal
    fee: Decimal
    carry: Decimal
    cost: Decimal
    vwap: Decimal | None
    stops: list[tuple[str, str, str]]


def ms(v: object) -> tuple[int, int]:
    """(mantissa, scale) of an exact amount, scale >= 0."""
    sign, digits, exp = Decimal(str(v)).as_tuple()
    assert isinstance(exp, int)
    m = int("".join(map(str, digits)) or "0")
    if exp > 0:
        m, exp = m * 10**exp, 0
    return (-m if sign else m), -exp


def at(v: object, s: int) -> int:
    m, sc = ms(v)
    if sc > s:
        raise NaivePlanError("scale")
    return m * int(10 ** (s - sc))


def half_even(num: int, den: int) -> int:
    q, r = divmod(abs(num), den)
    if 2 * r > den or (2 * r == den and q % 2 == 1):
        q += 1
    return -q if num < 0 else q


def ratio(num: int, ns: int, den: int, ds: int, to: int = OUT) -> int:
    up = to + ds - ns
    return half_even(num * 10**up, den) if up >= 0 else half_even(num, den * 10 ** (-up))


def dec(m: int, s: int = OUT) -> Decimal:
    return Decimal(f"{m}E-{s}")


@dataclass
class _Inst:
    cand: Candidate
    venue: int
    levels: tuple[tuple[int, int], ...]
    pxmul: int = 1
    szmul: int = 1
    ps: int = 0
    qs: int = 0
    key_mul: int = 0
    key_add: int = 0
    carry: int = 0
    n: int = 1
    lot: int = 1
    min: int = 0
    max: int | None = None
    tick: int = 1
    pos_cap: int | None = None
    excluded: str | None = None


def _carry(c: Candidate, r: object, horizon: int, ks: int) -> int:
    if c.carry is None:
        return 0
    kind, v, minutes = c.carry
    vm, vs = ms(v)
    if kind == "funding":
        rm, rs = ms(r)
        return ratio(vm * rm * horizon, vs + rs, minutes, 0, ks)
    if minutes == 0:
        return 0
    return ratio(-vm * max(0, minutes - horizon), vs, minutes, 0, ks)


def _size_scale(c: Candidate) -> int:
    qs = max(c.depth.sz_scale, ms(c.lot)[1], ms(c.min_qty)[1])
    return max(qs, ms(c.max_qty)[1]) if c.max_qty is not None else qs


def _check_levels(c: Candidate, sell: bool) -> None:
    prev = None
    for px, sz in c.depth.levels:
        if px <= 0 or sz <= 0:
            raise NaivePlanError("depth")
        if prev is not None and not (px < prev if sell else px > prev):
            raise NaivePlanError("depth")
        prev = px


def prepare(req: PlanRequest) -> tuple[list[_Inst], list[int], list[int | None], int, int]:
    sell = req.side == "sell"
    rm, rs = ms(req.ref_price)
    tm, ts = ms(req.target_coins)
    names = sorted(v.venue for v in req.venues)
    index = {v.venue: i for i, v in enumerate(req.venues)}
    if len(names) != len(set(names)):
        raise NaivePlanError("venues")
    cands = sorted(req.candidates, key=lambda c: (c.venue, c.symbol))
    cur_s = max((ms(v.current_coins)[1] for v in req.venues), default=0)
    tot_s = max(cur_s, ts)
    sn = max(ts + rs, cur_s + rs)
    for v in req.venues:
        sn = max(sn, ms(v.max_share)[1] + tot_s + rs)
        if v.headroom_usd is not None:
            sn = max(sn, ms(v.headroom_usd)[1])
    p_max = f_max = 0
    for c in cands:
        if c.venue not in index:
            raise NaivePlanError("venue")
        if not (c.healthy and req.venues[index[c.venue]].healthy):
            continue
        _check_levels(c, sell)
        ps = max(c.depth.px_scale, ms(c.tick)[1])
        qs = _size_scale(c)
        p_max, f_max = max(p_max, ps), max(f_max, ms(c.taker_fee)[1])
        mm_s = ms(c.multiplier)[1]
        sn = max(sn, mm_s + rs + qs if c.payoff == "linear" else mm_s + qs)
        if not sell:
            sn = max(sn, ms(c.position_coins)[1] + rs)
    ks = max(p_max + f_max, OUT)
    target_n = tm * rm * 10 ** (sn - ts - rs)
    tot = at(req.target_coins, tot_s) + sum(at(v.current_coins, tot_s) for v in req.venues)
    caps: list[int] = []
    room: list[int | None] = []
    for v in req.venues:
        cm, cs = ms(v.current_coins)
        cur = cm * rm * 10 ** (sn - cs - rs)
        if sell:
            sm, ss = ms(v.max_share)
            caps.append(max(sm * tot * rm * 10 ** (sn - ss - tot_s - rs) - cur, 0))
            room.append(None if v.headroom_usd is None else at(v.headroom_usd, sn))
        else:
            caps.append(cur)
            room.append(None)
    insts: list[_Inst] = []
    for c in cands:
        vi = index[c.venue]
        if not (c.healthy and req.venues[vi].healthy):
            insts.append(_Inst(c, vi, (), excluded="unhealthy"))
            continue
        ps = max(c.depth.px_scale, ms(c.tick)[1])
        qs = _size_scale(c)
        fm, fs = ms(c.taker_fee)
        base = 10 ** (ks - ps - fs) * (10**fs - fm if sell else 10**fs + fm)
        carry = _carry(c, req.ref_price, req.horizon_min, ks)
        mm, mms = ms(c.multiplier)
        n = (
            mm * rm * 10 ** (sn - qs - mms - rs)
            if c.payoff == "linear"
            else at(c.multiplier, sn - qs)
        )
        pos_cap = None
        if not sell:
            pm, pss = ms(c.position_coins)
            pos_cap = pm * rm * 10 ** (sn - pss - rs)
        insts.append(
            _Inst(
                c,
                vi,
                c.depth.levels,
                pxmul=10 ** (ps - c.depth.px_scale),
                szmul=10 ** (qs - c.depth.sz_scale),
                ps=ps,
                qs=qs,
                key_mul=-base if sell else base,
                key_add=-carry if sell else carry,
                carry=carry,
                n=n,
                lot=at(c.lot, qs),
                min=at(c.min_qty, qs),
                max=None if c.max_qty is None else at(c.max_qty, qs),
                tick=at(c.tick, ps),
                pos_cap=pos_cap,
            )
        )
    return insts, caps, room, target_n, ks


@dataclass
class _St:
    q: int = 0
    gross: int = 0
    head: int = 0
    head_cum: int = 0
    cur: int = 0
    cur_used: int = 0
    touched: int = 0
    worst: int = 0
    pos_left: int | None = None
    stop: str | None = None


def walk(
    insts: list[_Inst],
    caps: list[int],
    room: list[int | None],
    target_n: int,
    excluded: list[str | None],
    *,
    sell: bool,
) -> tuple[list[_St], int]:
    states: list[_St] = []
    heads: list[float | int] = []
    inf = float("inf")
    for k, inst in enumerate(insts):
        st = _St(pos_left=inst.pos_cap)
        heads.append(inf)
        if excluded[k] is not None:
            st.stop = excluded[k]
        elif inst.levels:
            px, sz = inst.levels[0]
            st.head_cum = sz * inst.szmul
            heads[k] = px * inst.pxmul * inst.key_mul + inst.key_add
        else:
            st.stop = "depth"
        states.append(st)
    cap, rm_ = list(caps), list(room)
    rem = target_n
    while rem > 0:
        best = min(heads)
        if best == inf:
            break
        k = heads.index(best)  # the first minimum: lowest (venue, symbol) rank
        heads[k] = inf
        inst, st, v = insts[k], states[k], insts[k].venue
        lim, why = st.head_cum - st.q, "depth"
        if inst.max is not None and inst.max - st.q <= lim:
            lim, why = inst.max - st.q, "max_qty"
        need = lim * inst.n
        bounds: list[tuple[int | None, str]] = [
            (cap[v], "concentration" if sell else "position"),
            (rm_[v], "headroom"),
            (st.pos_left, "position"),
            (rem, "lot"),
        ]
        for avail, reason in bounds:
            if avail is not None and avail < need + inst.n:
                lim = avail // inst.n
                need, why = lim * inst.n, reason
        new_q = (st.q + max(lim, 0)) // inst.lot * inst.lot
        take = new_q - st.q
        if take > 0:
            _consume(inst, st, take)
            dn = take * inst.n
            rem -= dn
            cap[v] -= dn
            h = rm_[v]
            if h is not None:
                rm_[v] = h - dn
            if st.pos_left is not None:
                st.pos_left -= dn
        if why == "depth":
            nxt = st.head + 1
            if nxt < len(inst.levels):
                px, sz = inst.levels[nxt]
                st.head = nxt
                st.head_cum += sz * inst.szmul
                heads[k] = px * inst.pxmul * inst.key_mul + inst.key_add
            else:
                st.stop = "depth"
        elif not (why == "lot" and rem == 0):
            st.stop = why
    return states, rem


def _consume(inst: _Inst, st: _St, take: int) -> None:
    left = take
    while left > 0:
        px, sz = inst.levels[st.cur]
        px, sz = px * inst.pxmul, sz * inst.szmul
        if st.cur_used == 0:
            if px % inst.tick:
                raise NaivePlanError("tick")
            st.touched += 1
            st.worst = px
        t = min(left, sz - st.cur_used)
        st.gross += t * px
        st.cur_used += t
        left -= t
        if st.cur_used == sz:
            st.cur += 1
            st.cur_used = 0
    st.q += take


def plan(req: PlanRequest) -> NaivePlan:
    sell = req.side == "sell"
    insts, caps, room, target_n, ks = prepare(req)
    excluded = [i.excluded for i in insts]
    while True:
        states, rem = walk(insts, caps, room, target_n, excluded, sell=sell)
        again = False
        for k, (st, inst) in enumerate(zip(states, insts, strict=True)):
            if 0 < st.q < inst.min:
                excluded[k] = "min_size"
                again = True
        if not again:
            break
    rm, rs = ms(req.ref_price)
    legs: list[NaiveLeg] = []
    filled = gross_t = fee_t = carry_t = cost_t = 0
    for inst, st in zip(insts, states, strict=True):
        if st.q == 0:
            continue
        c = inst.cand
        mm, mms = ms(c.multiplier)
        den, ds = (1, 0) if c.payoff == "linear" else (rm, rs)
        units, value = st.q * mm, st.gross * mm
        coins = ratio(units, inst.qs + mms, den, ds)
        gross = ratio(value, inst.qs + inst.ps + mms, den, ds)

        fees = []
        for rate in (c.taker_fee, c.maker_fee):
            fm, fs = ms(rate)
            fees.append(ratio(value * fm, inst.qs + inst.ps + mms + fs, den, ds))
        fee, maker = fees
        carry = ratio(units * inst.carry, inst.qs + mms + ks, den, ds)
        if c.payoff == "linear":
            refn = ratio(units * rm, inst.qs + mms + rs, 1, 0)
        else:
            refn = ratio(units, inst.qs + mms, 1, 0)
        cost = refn - gross + fee - carry if sell else gross + fee + carry - refn
        filled += coins
        gross_t += gross
        fee_t += fee
        carry_t += carry
        cost_t += cost
        legs.append(
            NaiveLeg(
                c.venue,
                c.symbol,
                req.side,
                dec(st.q, inst.qs),
                dec(coins),
                dec(ratio(st.gross, inst.qs + inst.ps, st.q, inst.qs)),
                dec(ratio(st.worst, inst.ps, 1, 0)),
                st.touched,
                dec(gross),
                dec(fee),
                dec(maker),
                dec(carry),
                dec(refn),
                dec(cost),
            )
        )
    target = at(req.target_coins, OUT)
    return NaivePlan(
        legs=legs,
        filled_coins=dec(filled),
        residual_coins=dec(target - filled),
        shortfall=_shortfall(states) if rem > 0 else None,
        gross=dec(gross_t),
        fee=dec(fee_t),
        carry=dec(carry_t),
        cost=dec(cost_t),
        vwap=dec(ratio(gross_t, OUT, filled, OUT)) if filled > 0 else None,
        stops=[
            (i.cand.venue, i.cand.symbol, s.stop)
            for i, s in zip(insts, states, strict=True)
            if s.stop
        ],
    )


def _shortfall(states: list[_St]) -> str:
    stops = {s.stop for s in states}
    if all(s.stop == "unhealthy" for s in states):
        return "no_candidates"
    if "lot" in stops:
        return "lot"
    if "min_size" in stops:
        return "min_size"
    if stops & {"max_qty", "concentration", "headroom", "position"}:
        return "limits"
    return "depth"
