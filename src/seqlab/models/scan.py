"""Whole-sequence forward and backward passes for the hand-written cells (seqlab.models.cells).

Why this exists: run step by step under autograd, a cell records ~10 small ops per time step,
and its backward replays them one by one, each weight gradient as T separate (H x H) GEMMs.
That made the hand-written LSTM 2x slower than torch's fused oneDNN kernel. Each function here
is a ``torch.autograd.Function`` over a whole layer and sequence, x (B, T, I) -> h (B, T, H):

- the input projection W_x x(t) + b is one batched GEMM for every step, before the loop;
- forward runs the recurrence without building a graph, writing every step into preallocated
  buffers (``out=`` and in-place ops). While a step's gates are still in cache it also stores
  the backward's factors that depend on the forward pass alone (sigma', 1 - tanh^2 and their
  products with the other gates). Computed afterwards for all T at once, the same factors cost
  several times more: each becomes a pass over megabytes of memory instead of over L2-resident
  (H, B) blocks;
- backward walks back through time doing only what depends on the next step's gradient: one
  (H, G*H) x (G*H, B) GEMM and 3-4 elementwise ops per step;
- the weight gradients are then one batched GEMM over all time steps each,
  dW_h = sum_t dz(t) h(t-1)^T and dW_x = sum_t dz(t) x(t)^T (a ``bmm`` and a sum). Folding T into
  the GEMM's inner dimension instead needs two transposing copies of dZ and H in this layout;
  measured, they cost more than the single larger GEMM saves.

Layout inside: time-major and feature-major, (T, features, B), so that every step's gate block
is a contiguous (H, B) matrix. That matters on a CPU: torch's elementwise kernels (tanh most of
all, ~9x) are far slower on the strided column blocks a (B, G*H) layout gives. Every per-step
view is made before the loop (``unbind``): at (H, B) = (128, 128) an elementwise op costs ~5 us,
and a Python-level slice ~2 us more, so slicing inside the loop costs as much as the arithmetic.

Each takes ``grad``: whether autograd was on at the call (inside ``forward`` it never is, and
``ctx.needs_input_grad`` reflects only requires_grad), so that evaluation under
``torch.no_grad()`` skips storing the backward's factors. The initial state is zero, as in
:meth:`Cell.init_state`. The tests check outputs and gradients
against torch's fused modules, the step-by-step cells and finite differences.
"""

from __future__ import annotations

import torch


def _sequence(x: torch.Tensor) -> torch.Tensor:
    return x.permute(1, 2, 0).contiguous()  # (B, T, I) -> (T, I, B)


def _project(xt: torch.Tensor, weight_x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """W_x x(t) + b for every t, one batched GEMM: (T, I, B) -> (T, G*H, B), contiguous."""
    return torch.baddbmm(bias[:, None], weight_x.expand(xt.shape[0], -1, -1), xt)


def _batched_outer(dz: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """sum_t dz(t) v(t)^T in one batched GEMM: dz (T, R, B), v (T, K, B) -> (R, K)."""
    return torch.bmm(dz, v.transpose(1, 2)).sum(0)


def _input_grads(ctx, dz: torch.Tensor, xt: torch.Tensor, weight_x: torch.Tensor):
    """dL/dx (B, T, I) where x needs one, dL/dW_x, dL/db from dL/d(W_x x + b) = dz (T, G*H, B)."""
    dx = torch.matmul(weight_x.t(), dz).permute(2, 0, 1) if ctx.needs_input_grad[0] else None
    return dx, _batched_outer(dz, xt), dz.sum(dim=(0, 2))


def _sigma_prime(s: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """s - s^2 = sigma'(z) for s = sigma(z), in one op."""
    return torch.addcmul(s, s, s, value=-1, out=out)


class RNNScan(torch.autograd.Function):
    """h(t) = tanh(W_x x(t) + b + W_h h(t-1))."""

    @staticmethod
    def forward(ctx, x, weight_x, weight_h, bias, grad: bool):
        xt = _sequence(x)
        z = _project(xt, weight_x, bias)  # (T, H, B), becomes h(t) in place
        T, H, B = z.shape
        h0 = z.new_zeros(H, B)
        z_t = z.unbind()
        for t in range(T):
            z_t[t].addmm_(weight_h, z_t[t - 1] if t else h0).tanh_()
        ctx.save_for_backward(xt, weight_x, weight_h, z)
        return z.permute(2, 0, 1)  # (B, T, H)

    @staticmethod
    def backward(ctx, grad):
        xt, weight_x, weight_h, hs = ctx.saved_tensors
        grad_h = grad.permute(1, 2, 0).contiguous()  # (T, H, B)
        T = hs.shape[0]
        tanh_prime = 1 - hs * hs
        dz = torch.mul(grad_h[T - 1], tanh_prime[T - 1]).expand(T, -1, -1).clone()  # (T, H, B)
        dz_t, gh_t, tp_t = dz.unbind(), grad_h.unbind(), tanh_prime.unbind()
        wt = weight_h.t()
        for t in range(T - 2, -1, -1):  # dL/dh(t): from the output and through h(t+1); times tanh'
            torch.mul(torch.addmm(gh_t[t], wt, dz_t[t + 1]), tp_t[t], out=dz_t[t])
        dx, dw_x, db = _input_grads(ctx, dz, xt, weight_x)
        return dx, dw_x, _batched_outer(dz[1:], hs[:-1]), db, None


class LSTMScan(torch.autograd.Function):
    """Gates z(t) = W_x x(t) + b + W_h h(t-1) in torch's order i, f, g, o;
    c(t) = f c(t-1) + i g; h(t) = o tanh(c(t))."""

    @staticmethod
    def forward(ctx, x, weight_x, weight_h, bias, grad: bool):
        xt = _sequence(x)
        gates = _project(xt, weight_x, bias)  # (T, 4H, B): W_h h(t-1) added in place, then activated
        T, G, B = gates.shape
        H = G // 4
        hs = gates.new_empty(T + 1, H, B)  # hs[t + 1] = h(t)
        cs = gates.new_empty(T + 1, H, B)  # cs[t + 1] = c(t)
        hs[0].zero_()
        cs[0].zero_()
        # The backward's factors: dz_i = dc g sigma'(i), dz_f = dc c(t-1) sigma'(f),
        # dz_g = dc i (1 - g^2) (dc times `partner`), dz_o = dh tanh(c) sigma'(o) (`o_factor`),
        # and dc(t) = dh o (1 - tanh(c)^2) (`through_o`) + f(t+1) dc(t+1).
        partner = gates.new_empty(T, 3, H, B) if grad else None
        o_factor = gates.new_empty(T, H, B) if grad else None
        through_o = gates.new_empty(T, H, B) if grad else None
        tanh_c = gates.new_empty(H, B)
        z_t = gates.unbind()
        if_t = gates[:, : 2 * H].unbind()  # i and f: one sigmoid
        i_t, f_t, g_t, o_t = (block.unbind() for block in gates.split(H, dim=1))
        h_t, c_t = hs.unbind(), cs.unbind()
        if grad:
            p_i, p_f, p_g = (block.unbind() for block in partner.unbind(1))
            of_t, to_t = o_factor.unbind(), through_o.unbind()
        for t in range(T):
            z_t[t].addmm_(weight_h, h_t[t])  # (4H, B)
            if_t[t].sigmoid_()
            g_t[t].tanh_()
            o_t[t].sigmoid_()
            i, f, g, o = i_t[t], f_t[t], g_t[t], o_t[t]
            ig = i * g
            torch.addcmul(ig, f, c_t[t], out=c_t[t + 1])
            torch.mul(o, torch.tanh(c_t[t + 1], out=tanh_c), out=h_t[t + 1])
            if grad:  # written so that no factor needs a constant 1: each is one or two ops
                torch.mul(_sigma_prime(i, out=p_i[t]), g, out=p_i[t])
                torch.mul(_sigma_prime(f, out=p_f[t]), c_t[t], out=p_f[t])
                torch.addcmul(i, ig, g, value=-1, out=p_g[t])  # i (1 - g^2)
                torch.mul(_sigma_prime(o, out=of_t[t]), tanh_c, out=of_t[t])
                torch.addcmul(o, h_t[t + 1], tanh_c, value=-1, out=to_t[t])  # o (1 - tanh(c)^2)
        ctx.save_for_backward(xt, weight_x, weight_h, gates, hs, partner, o_factor, through_o)
        return hs[1:].permute(2, 0, 1)  # (B, T, H)

    @staticmethod
    def backward(ctx, grad):
        xt, weight_x, weight_h, gates, hs, partner, o_factor, through_o = ctx.saved_tensors
        # (T, H, B), our own copy: dL/dh(t) is accumulated into it in place
        grad_h = grad.permute(1, 2, 0).clone(memory_format=torch.contiguous_format)
        T, G, B = gates.shape
        H = G // 4
        dz = torch.empty_like(gates)  # (T, 4H, B)
        dz_t, dz3_t = dz.unbind(), dz[:, : 3 * H].unflatten(1, (3, H)).unbind()
        dzo_t = dz[:, 3 * H :].unbind()
        f_t = gates[:, H : 2 * H].unbind()
        gh_t, p_t, of_t, to_t = grad_h.unbind(), partner.unbind(), o_factor.unbind(), through_o.unbind()
        wt = weight_h.t()
        dc = torch.zeros_like(hs[0])  # dL/dc(t) carried back from step t+1: f(t+1) dc(t+1)
        for t in range(T - 1, -1, -1):
            dh = gh_t[t] if t == T - 1 else gh_t[t].addmm_(wt, dz_t[t + 1])  # (H, B)
            dc = torch.addcmul(dc, dh, to_t[t])
            torch.mul(dc, p_t[t], out=dz3_t[t])
            torch.mul(dh, of_t[t], out=dzo_t[t])
            dc = dc * f_t[t]
        dx, dw_x, db = _input_grads(ctx, dz, xt, weight_x)
        return dx, dw_x, _batched_outer(dz, hs[:-1]), db, None


class PeepholeScan(torch.autograd.Function):
    """The course's peephole LSTM (blocks f, i, o, then the candidate):
    [f, i, o](t) = sigma(W_x x(t) + b + W_c c(t-1)) (first 3H rows); c(t) = sigma(W_x x(t) + b)
    i + c(t-1) f (candidate: last H rows); h(t) = tanh(c(t)) o. Only c recurs, and the
    candidate reads the input alone, so it and every h(t) are computed for all steps at once."""

    @staticmethod
    def forward(ctx, x, weight_x, weight_c, bias, grad: bool):
        xt = _sequence(x)
        xp = _project(xt, weight_x, bias)  # (T, 4H, B)
        T, G, B = xp.shape
        H = G // 4
        gates = xp[:, : 3 * H]  # f, i, o: W_c c(t-1) added in place, then activated
        cand = xp[:, 3 * H :].sigmoid_()  # (T, H, B)
        cs = xp.new_empty(T + 1, H, B)  # cs[t + 1] = c(t)
        cs[0].zero_()
        # dz_f = dc c(t-1) sigma'(f), dz_i = dc cand sigma'(i): dc times `partner`
        partner = xp.new_empty(T, 2, H, B) if grad else None
        z_t, cand_t, c_t = gates.unbind(), cand.unbind(), cs.unbind()
        f_t, i_t = gates[:, :H].unbind(), gates[:, H : 2 * H].unbind()
        if grad:
            p_f, p_i = (block.unbind() for block in partner.unbind(1))
        for t in range(T):
            z_t[t].addmm_(weight_c, c_t[t]).sigmoid_()  # (3H, B)
            f, i = f_t[t], i_t[t]
            torch.mul(cand_t[t], i, out=c_t[t + 1]).addcmul_(c_t[t], f)
            if grad:
                torch.mul(_sigma_prime(f, out=p_f[t]), c_t[t], out=p_f[t])
                torch.mul(_sigma_prime(i, out=p_i[t]), cand_t[t], out=p_i[t])
        tanh_c = torch.tanh(cs[1:])
        ctx.save_for_backward(xt, weight_x, weight_c, xp, cs, tanh_c, partner)
        return (tanh_c * gates[:, 2 * H :]).permute(2, 0, 1)  # (B, T, H)

    @staticmethod
    def backward(ctx, grad):
        xt, weight_x, weight_c, xp, cs, tanh_c, partner = ctx.saved_tensors
        grad_h = grad.permute(1, 2, 0).contiguous()  # (T, H, B)
        T, G, B = xp.shape
        H = G // 4
        f, i, o, cand = xp.split(H, dim=1)  # each (T, H, B), activated
        # dL/dc(t) through h(t) alone: dh o (1 - tanh(c)^2)
        go = grad_h * o
        direct = torch.addcmul(go, go * tanh_c, tanh_c, value=-1)
        dz = torch.empty_like(xp)  # dL/d(W_x x + b): f, i, o blocks, then the candidate's
        torch.mul(go * tanh_c, 1 - o, out=dz[:, 2 * H : 3 * H])  # dh tanh(c) sigma'(o)
        dcs = grad_h.new_empty(T, H, B)  # dL/dc(t), kept for the candidate's gradient
        dcs_t, direct_t, f_t, p_t = dcs.unbind(), direct.unbind(), f.unbind(), partner.unbind()
        dz_t, dz2_t = dz[:, : 3 * H].unbind(), dz[:, : 2 * H].unflatten(1, (2, H)).unbind()
        wt = weight_c.t()
        for t in range(T - 1, -1, -1):
            if t == T - 1:
                dcs_t[t].copy_(direct_t[t])
            else:  # c(t) feeds c(t+1) through f(t+1), and step t+1's gates through W_c
                torch.addmm(torch.addcmul(direct_t[t], dcs_t[t + 1], f_t[t + 1]), wt, dz_t[t + 1], out=dcs_t[t])
            torch.mul(dcs_t[t], p_t[t], out=dz2_t[t])
        cic = dcs * i * cand
        torch.addcmul(cic, cic, cand, value=-1, out=dz[:, 3 * H :])  # dc i sigma'(candidate)
        dx, dw_x, db = _input_grads(ctx, dz, xt, weight_x)
        return dx, dw_x, _batched_outer(dz[:, : 3 * H], cs[:-1]), db, None


class GRUScan(torch.autograd.Function):
    """torch's GRU, gates r, z, n: xp = W_x x(t) + b, hp = W_h h(t-1) + [0, 0, b_hn];
    r, z = sigma(xp[:2H] + hp[:2H]); n = tanh(xp[2H:] + r hp[2H:]); h(t) = n + z (h(t-1) - n)."""

    @staticmethod
    def forward(ctx, x, weight_x, weight_h, bias, bias_hn, grad: bool):
        xt = _sequence(x)
        xp = _project(xt, weight_x, bias)  # (T, 3H, B): r and z get hp added in place, then activated
        T, G, B = xp.shape
        H = G // 3
        hp_bias = torch.cat((bias_hn.new_zeros(2 * H), bias_hn))[:, None]  # (3H, 1): only n has one
        hp = xp.new_empty(G, B)  # W_h h(t-1) + hp_bias
        n = xp.new_empty(H, B)
        hs = xp.new_empty(T + 1, H, B)
        hs[0].zero_()
        # The backward's factors: d(r's pre-activation) = dL/d(n's) hn r', d(z's) = dh (h(t-1) - n) z',
        # d(n's) = dh (1 - z)(1 - n^2), where hn = hp's n block.
        factors = xp.new_empty(T, 3, H, B) if grad else None
        rz_t, xn_t, h_t = xp[:, : 2 * H].unbind(), xp[:, 2 * H :].unbind(), hs.unbind()
        r_t, z_t = xp[:, :H].unbind(), xp[:, H : 2 * H].unbind()
        hp_rz, hp_n = hp[: 2 * H], hp[2 * H :]
        if grad:
            to_r, to_z, to_n = (block.unbind() for block in factors.unbind(1))
        for t in range(T):
            torch.addmm(hp_bias, weight_h, h_t[t], out=hp)
            rz_t[t].add_(hp_rz).sigmoid_()
            r, z = r_t[t], z_t[t]
            torch.addcmul(xn_t[t], r, hp_n, out=n).tanh_()
            diff = h_t[t] - n
            torch.addcmul(n, z, diff, out=h_t[t + 1])
            if grad:
                torch.mul(_sigma_prime(r, out=to_r[t]), hp_n, out=to_r[t])
                torch.mul(_sigma_prime(z, out=to_z[t]), diff, out=to_z[t])
                a = torch.addcmul(n.new_ones(()), n, n, value=-1, out=to_n[t])
                a.addcmul_(a, z, value=-1)  # (1 - n^2)(1 - z)
        ctx.save_for_backward(xt, weight_x, weight_h, xp, hs, factors)
        return hs[1:].permute(2, 0, 1)  # (B, T, H)

    @staticmethod
    def backward(ctx, grad):
        xt, weight_x, weight_h, xp, hs, factors = ctx.saved_tensors
        grad_h = grad.permute(1, 2, 0).contiguous()  # (T, H, B)
        T, G, B = xp.shape
        H = G // 3
        dhp = grad_h.new_empty(T, G, B)  # dL/dhp; its r, z blocks are also dL/dxp's
        dxp = torch.empty_like(dhp)
        gh_t, dhp_t, f_t = grad_h.unbind(), dhp.unbind(), factors.unbind()
        dr_t, dz_t, dhn_t = (block.unbind() for block in dhp.split(H, dim=1))
        dan_t = dxp[:, 2 * H :].unbind()
        r_t, z_t = xp[:, :H].unbind(), xp[:, H : 2 * H].unbind()
        wt = weight_h.t()
        dh = gh_t[T - 1]
        for t in range(T - 1, -1, -1):
            if t < T - 1:  # h(t) feeds h(t+1) directly (times z) and through hp(t+1)
                dh = torch.addmm(torch.addcmul(gh_t[t], dh, z_t[t + 1]), wt, dhp_t[t + 1])
            to_r, to_z, to_n = f_t[t].unbind()
            a = torch.mul(dh, to_n, out=dan_t[t])
            torch.mul(a, to_r, out=dr_t[t])
            torch.mul(dh, to_z, out=dz_t[t])
            torch.mul(a, r_t[t], out=dhn_t[t])
        dxp[:, : 2 * H] = dhp[:, : 2 * H]
        dx, dw_x, db = _input_grads(ctx, dxp, xt, weight_x)
        return dx, dw_x, _batched_outer(dhp, hs[:-1]), db, dhp[:, 2 * H :].sum(dim=(0, 2)), None
