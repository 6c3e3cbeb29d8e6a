//! Shape, loss/activation and fusing mistakes are compile errors, checked with
//! trybuild against committed `.stderr` snapshots in `compile-fail/`.
//!
//! Regenerate the snapshots after a deliberate change of the messages with
//! `TRYBUILD=overwrite cargo test -p microprop-tests --test compile_fail`,
//! then read them: each must still name the width mismatch (`[f32; 8]` vs
//! `[f32; 7]`), the missing `AcceptsActivation<Softmax>` bound, or the
//! network that is not `Fusable` (a maxout layer in a `FusedTrainer`).

#[test]
fn shape_loss_and_fusing_mistakes_do_not_compile() {
    let t = trybuild::TestCases::new();
    // The harness itself works: the correct network compiles and runs.
    t.pass("compile-pass/chain_widths_agree.rs");
    t.compile_fail("compile-fail/*.rs");
}
