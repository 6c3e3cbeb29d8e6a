//! The update engines: the loops that apply an optimizer's element-wise
//! rule to every parameter, with no, one or two state buffers
//! ([`update_stateless`], [`update_one_state`], [`update_two_states`]).
//!
//! Each engine walks the gradient's outer products (see
//! [`Gradient`]) slice by slice beside the parameters and the state, and
//! either writes in one pass (when the caller's bounds prove every result
//! finite) or checks every result first and then writes, so a refused step
//! changes nothing. Both paths compute the same values in the same order.
//! The loops over one slice are out of line and generic over the rule
//! only: one compiled copy per rule, whatever the network.

use crate::error::Error;
use crate::optim::Gradient;
use crate::params::Parameters;

/// Parameters a pass of the write loops handles (unrolled, so the four
/// pointer increments and the loop test of a step are paid once per
/// `UNROLL` parameters; the order of the updates does not change).
const UNROLL: usize = 4;

/// The rows of one outer-product slice: `(values, a_r)` for each `r`, each
/// `values` `len(d)` long. Empty if `d` is (no parameter then).
fn rows<'a>(values: &'a [f32], a: &'a [f32], d: &[f32]) -> impl Iterator<Item = (&'a [f32], f32)> {
    values.chunks_exact(d.len().max(1)).zip(a.iter().copied())
}

fn rows_mut<'a>(
    values: &'a mut [f32],
    a: &'a [f32],
    d: &[f32],
) -> impl Iterator<Item = (&'a mut [f32], f32)> {
    values
        .chunks_exact_mut(d.len().max(1))
        .zip(a.iter().copied())
}

/// [`rows`] with each `a_r` multiplied by the gradient scale, so the
/// gradient is `g = (a_r·scale)·d_o`. That is the same value, bit for bit,
/// as `(a_r·d_o)·scale` in both cases the trainers produce: a buffer
/// (`a = [1]`: `1·scale = scale`, and a product is commutative) and the
/// fused step (`scale = 1`: `a_r·1 = a_r`), at one multiply a row instead
/// of one a parameter, and with one compiled loop for scaled and unscaled
/// gradients.
fn scaled_rows<'a>(
    values: &'a [f32],
    a: &'a [f32],
    d: &[f32],
    scale: f32,
) -> impl Iterator<Item = (&'a [f32], f32)> {
    rows(values, a, d).map(move |(values, ar)| (values, ar * scale))
}

/// Mutable [`scaled_rows`].
fn scaled_rows_mut<'a>(
    values: &'a mut [f32],
    a: &'a [f32],
    d: &[f32],
    scale: f32,
) -> impl Iterator<Item = (&'a mut [f32], f32)> {
    rows_mut(values, a, d).map(move |(values, ar)| (values, ar * scale))
}

/// `w ← f(w, g)` for every parameter, `g` scaled by `scale`. With `proven`
/// (the caller has shown from bounds that every result is finite) it writes
/// in one pass; otherwise it evaluates `f` once to check every result and
/// again to write, so a refused step changes nothing. The squared change
/// norm is summed (in parameter order) only with `measure`; 0.0 otherwise.
///
/// The walk over the slices is generic over the network; the loops over one
/// slice ([`stateless_finite`], [`stateless_write`]) are out of line and
/// generic over the rule only, so a network of any depth, and the run-time
/// front end, share one copy of them.
pub(super) fn update_stateless<P: Parameters>(
    params: &mut P,
    grads: &impl Gradient,
    scale: f32,
    proven: bool,
    measure: bool,
    f: impl Fn(f32, f32) -> f32 + Copy,
) -> Result<f32, Error> {
    stateless(params, grads, scale, proven, measure, f)
}

fn stateless<P: Parameters, F: Fn(f32, f32) -> f32 + Copy>(
    params: &mut P,
    grads: &impl Gradient,
    scale: f32,
    proven: bool,
    measure: bool,
    f: F,
) -> Result<f32, Error> {
    if !proven {
        let mut finite = true;
        let mut slices = params.slices();
        grads.for_each_slice(|a, d| {
            if let Some(ws) = slices.next() {
                finite &= stateless_finite(ws, a, d, scale, f);
            }
        });
        if !finite {
            return Err(Error::NonFiniteGradient);
        }
    }
    let mut change = 0.0;
    let mut slices = params.slices_mut();
    grads.for_each_slice(|a, d| {
        if let Some(ws) = slices.next() {
            change = stateless_write(ws, a, d, scale, f, measure, change);
        }
    });
    Ok(change)
}

/// Whether every `f(w, g)` of one slice is finite.
#[inline(never)]
fn stateless_finite<F: Fn(f32, f32) -> f32 + Copy>(
    ws: &[f32],
    a: &[f32],
    d: &[f32],
    scale: f32,
    f: F,
) -> bool {
    scaled_rows(ws, a, d, scale)
        .all(|(ws, ar)| ws.iter().zip(d).all(|(&w, &dv)| f(w, ar * dv).is_finite()))
}

/// Writes `w ← f(w, g)` over one slice; returns `change` plus the squared
/// changes (added in parameter order) with `measure`, else `change`.
#[inline(never)]
fn stateless_write<F: Fn(f32, f32) -> f32 + Copy>(
    ws: &mut [f32],
    a: &[f32],
    d: &[f32],
    scale: f32,
    f: F,
    measure: bool,
    mut change: f32,
) -> f32 {
    for (ws, ar) in scaled_rows_mut(ws, a, d, scale) {
        if measure {
            for (w, &dv) in ws.iter_mut().zip(d) {
                let new = f(*w, ar * dv);
                change += (new - *w) * (new - *w);
                *w = new;
            }
        } else {
            let ((w4, w1), (d4, d1)) = (ws.as_chunks_mut::<UNROLL>(), d.as_chunks::<UNROLL>());
            for (w4, d4) in w4.iter_mut().zip(d4) {
                for (w, &dv) in w4.iter_mut().zip(d4) {
                    *w = f(*w, ar * dv);
                }
            }
            for (w, &dv) in w1.iter_mut().zip(d1) {
                *w = f(*w, ar * dv);
            }
        }
    }
    change
}

/// As [`update_stateless`] with one state buffer: `f(w, g, s) -> (w', s')`.
pub(super) fn update_one_state<P: Parameters, G: Parameters>(
    params: &mut P,
    grads: &impl Gradient,
    state: &mut G,
    scale: f32,
    proven: bool,
    measure: bool,
    f: impl Fn(f32, f32, f32) -> (f32, f32) + Copy,
) -> Result<f32, Error> {
    one_state(params, grads, state, scale, proven, measure, f)
}

fn one_state<P: Parameters, G: Parameters, F: Fn(f32, f32, f32) -> (f32, f32) + Copy>(
    params: &mut P,
    grads: &impl Gradient,
    state: &mut G,
    scale: f32,
    proven: bool,
    measure: bool,
    f: F,
) -> Result<f32, Error> {
    if !proven {
        let mut finite = true;
        let mut slices = params.slices().zip(state.slices());
        grads.for_each_slice(|a, d| {
            if let Some((ws, ss)) = slices.next() {
                finite &= one_state_finite(ws, ss, a, d, scale, f);
            }
        });
        if !finite {
            return Err(Error::NonFiniteGradient);
        }
    }
    let mut change = 0.0;
    let mut slices = params.slices_mut().zip(state.slices_mut());
    grads.for_each_slice(|a, d| {
        if let Some((ws, ss)) = slices.next() {
            change = one_state_write(ws, ss, a, d, scale, f, measure, change);
        }
    });
    Ok(change)
}

/// Whether every result of `f` over one slice is finite.
#[inline(never)]
fn one_state_finite<F: Fn(f32, f32, f32) -> (f32, f32) + Copy>(
    ws: &[f32],
    ss: &[f32],
    a: &[f32],
    d: &[f32],
    scale: f32,
    f: F,
) -> bool {
    scaled_rows(ws, a, d, scale)
        .zip(rows(ss, a, d))
        .all(|((ws, ar), (ss, _))| {
            ws.iter().zip(ss).zip(d).all(|((&w, &s), &dv)| {
                let (w, s) = f(w, ar * dv, s);
                w.is_finite() && s.is_finite()
            })
        })
}

/// Writes `(w, s) ← f(w, g, s)` over one slice (see [`stateless_write`]).
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn one_state_write<F: Fn(f32, f32, f32) -> (f32, f32) + Copy>(
    ws: &mut [f32],
    ss: &mut [f32],
    a: &[f32],
    d: &[f32],
    scale: f32,
    f: F,
    measure: bool,
    mut change: f32,
) -> f32 {
    for ((ws, ar), (ss, _)) in scaled_rows_mut(ws, a, d, scale).zip(rows_mut(ss, a, d)) {
        if measure {
            for ((w, s), &dv) in ws.iter_mut().zip(ss.iter_mut()).zip(d) {
                let (new, state) = f(*w, ar * dv, *s);
                change += (new - *w) * (new - *w);
                (*w, *s) = (new, state);
            }
        } else {
            let (w4, w1) = ws.as_chunks_mut::<UNROLL>();
            let (s4, s1) = ss.as_chunks_mut::<UNROLL>();
            let (d4, d1) = d.as_chunks::<UNROLL>();
            for ((w4, s4), d4) in w4.iter_mut().zip(s4.iter_mut()).zip(d4) {
                for ((w, s), &dv) in w4.iter_mut().zip(s4.iter_mut()).zip(d4) {
                    (*w, *s) = f(*w, ar * dv, *s);
                }
            }
            for ((w, s), &dv) in w1.iter_mut().zip(s1.iter_mut()).zip(d1) {
                (*w, *s) = f(*w, ar * dv, *s);
            }
        }
    }
    change
}

/// As [`update_stateless`] with two state buffers:
/// `f(w, g, a, b) -> (w', a', b')`.
#[allow(clippy::too_many_arguments)]
pub(super) fn update_two_states<P: Parameters, G: Parameters>(
    params: &mut P,
    grads: &impl Gradient,
    first: &mut G,
    second: &mut G,
    scale: f32,
    proven: bool,
    measure: bool,
    f: impl Fn(f32, f32, f32, f32) -> (f32, f32, f32) + Copy,
) -> Result<f32, Error> {
    let states = (first, second);
    two_states(params, grads, states, scale, proven, measure, f)
}

fn two_states<P: Parameters, G: Parameters, F: Fn(f32, f32, f32, f32) -> (f32, f32, f32) + Copy>(
    params: &mut P,
    grads: &impl Gradient,
    (first, second): (&mut G, &mut G),
    scale: f32,
    proven: bool,
    measure: bool,
    f: F,
) -> Result<f32, Error> {
    if !proven {
        let mut finite = true;
        let mut slices = params.slices().zip(first.slices().zip(second.slices()));
        grads.for_each_slice(|a, d| {
            if let Some((ws, (ps, qs))) = slices.next() {
                finite &= two_states_finite(ws, ps, qs, a, d, scale, f);
            }
        });
        if !finite {
            return Err(Error::NonFiniteGradient);
        }
    }
    let mut change = 0.0;
    let mut slices = params
        .slices_mut()
        .zip(first.slices_mut().zip(second.slices_mut()));
    grads.for_each_slice(|a, d| {
        if let Some((ws, (ps, qs))) = slices.next() {
            change = two_states_write([ws, ps, qs], a, d, scale, f, measure, change);
        }
    });
    Ok(change)
}

/// Whether every result of `f` over one slice is finite.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn two_states_finite<F: Fn(f32, f32, f32, f32) -> (f32, f32, f32) + Copy>(
    ws: &[f32],
    ps: &[f32],
    qs: &[f32],
    a: &[f32],
    d: &[f32],
    scale: f32,
    f: F,
) -> bool {
    scaled_rows(ws, a, d, scale)
        .zip(rows(ps, a, d).zip(rows(qs, a, d)))
        .all(|((ws, ar), ((ps, _), (qs, _)))| {
            ws.iter()
                .zip(ps.iter().zip(qs))
                .zip(d)
                .all(|((&w, (&p, &q)), &dv)| {
                    let (w, p, q) = f(w, ar * dv, p, q);
                    w.is_finite() && p.is_finite() && q.is_finite()
                })
        })
}

/// Writes `(w, p, q) ← f(w, g, p, q)` over one slice (see
/// [`stateless_write`]).
#[inline(never)]
fn two_states_write<F: Fn(f32, f32, f32, f32) -> (f32, f32, f32) + Copy>(
    [ws, ps, qs]: [&mut [f32]; 3],
    a: &[f32],
    d: &[f32],
    scale: f32,
    f: F,
    measure: bool,
    mut change: f32,
) -> f32 {
    let all_rows = scaled_rows_mut(ws, a, d, scale).zip(rows_mut(ps, a, d).zip(rows_mut(qs, a, d)));
    for ((ws, ar), ((ps, _), (qs, _))) in all_rows {
        if measure {
            let elements = ws.iter_mut().zip(ps.iter_mut().zip(qs.iter_mut())).zip(d);
            for ((w, (p, q)), &dv) in elements {
                let (new, first, second) = f(*w, ar * dv, *p, *q);
                change += (new - *w) * (new - *w);
                (*w, *p, *q) = (new, first, second);
            }
        } else {
            let (w4, w1) = ws.as_chunks_mut::<UNROLL>();
            let (p4, p1) = ps.as_chunks_mut::<UNROLL>();
            let (q4, q1) = qs.as_chunks_mut::<UNROLL>();
            let (d4, d1) = d.as_chunks::<UNROLL>();
            let quads = w4.iter_mut().zip(p4.iter_mut().zip(q4.iter_mut())).zip(d4);
            for ((w4, (p4, q4)), d4) in quads {
                let elements = w4.iter_mut().zip(p4.iter_mut().zip(q4.iter_mut())).zip(d4);
                for ((w, (p, q)), &dv) in elements {
                    (*w, *p, *q) = f(*w, ar * dv, *p, *q);
                }
            }
            let elements = w1.iter_mut().zip(p1.iter_mut().zip(q1.iter_mut())).zip(d1);
            for ((w, (p, q)), &dv) in elements {
                (*w, *p, *q) = f(*w, ar * dv, *p, *q);
            }
        }
    }
    change
}

/// Calls `f(a_r, w, first, second, d)` for every row of every outer-product
/// slice, in the order of [`update_two_states`]'s write pass (the walk of a
/// dispatched kernel; nothing checked, nothing measured).
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub(super) fn for_each_row_two_states<P: Parameters, G: Parameters>(
    params: &mut P,
    grads: &impl Gradient,
    first: &mut G,
    second: &mut G,
    mut f: impl FnMut(f32, &mut [f32], &mut [f32], &mut [f32], &[f32]),
) {
    let mut slices = params
        .slices_mut()
        .zip(first.slices_mut().zip(second.slices_mut()));
    grads.for_each_slice(|a, d| {
        let Some((ws, (ps, qs))) = slices.next() else {
            return;
        };
        let all_rows = rows_mut(ws, a, d).zip(rows_mut(ps, a, d).zip(rows_mut(qs, a, d)));
        for ((ws, ar), ((ps, _), (qs, _))) in all_rows {
            f(ar, ws, ps, qs, d);
        }
    });
}
