//! Every optimizer configuration the bit-for-bit comparisons run
//! ([`for_each_optimizer!`](crate::for_each_optimizer)): each optimizer
//! kind, and the variants that take other code paths (Nesterov with weight
//! decay, RMSprop in PyTorch's and in the lecture's form, epsilon inside the
//! root with L2 decay, AdamW's decoupled decay).

#[doc(hidden)]
pub use microprop::{AdaGrad, Adam, Epsilon, Momentum, RmsProp, Sgd};

/// Runs `body` once per optimizer configuration, with `name` bound to its
/// label, `o` to the optimizer (each kind its own type, so `body` is
/// compiled once per kind) and `adaptive` to whether the optimizer divides
/// each step by a running measure of past gradients (AdaGrad, RMSprop, Adam),
/// which wants a smaller learning rate than SGD and momentum.
///
/// ```
/// let mut names = Vec::new();
/// microprop_tests::for_each_optimizer!(|name, _o, adaptive| names.push((name, adaptive)));
/// assert_eq!(names.len(), 9);
/// assert_eq!(names[0], ("sgd", false));
/// ```
#[macro_export]
macro_rules! for_each_optimizer {
    (|$name:pat_param, $o:pat_param, $adaptive:pat_param| $body:expr) => {{
        {
            let ($name, $o, $adaptive) = ("sgd", $crate::optimizers::Sgd, false);
            $body;
        }
        {
            let ($name, $o, $adaptive) =
                ("momentum", $crate::optimizers::Momentum::new(0.9), false);
            $body;
        }
        {
            let ($name, $o, $adaptive) = (
                "nesterov + decay",
                $crate::optimizers::Momentum {
                    nesterov: true,
                    weight_decay: 1e-3,
                    ..$crate::optimizers::Momentum::new(0.8)
                },
                false,
            );
            $body;
        }
        {
            let ($name, $o, $adaptive) = (
                "adagrad",
                <$crate::optimizers::AdaGrad as ::core::default::Default>::default(),
                true,
            );
            $body;
        }
        {
            let ($name, $o, $adaptive) = (
                "rmsprop (lecture)",
                $crate::optimizers::RmsProp::LECTURE,
                true,
            );
            $body;
        }
        {
            let ($name, $o, $adaptive) = (
                "rmsprop (PyTorch)",
                $crate::optimizers::RmsProp::PYTORCH,
                true,
            );
            $body;
        }
        {
            let ($name, $o, $adaptive) = ("adam", $crate::optimizers::Adam::PYTORCH, true);
            $body;
        }
        {
            let ($name, $o, $adaptive) = (
                "adam, eps inside, L2",
                $crate::optimizers::Adam {
                    epsilon: $crate::optimizers::Epsilon::Inside,
                    weight_decay: 1e-2,
                    ..$crate::optimizers::Adam::PYTORCH
                },
                true,
            );
            $body;
        }
        {
            let ($name, $o, $adaptive) = ("adamw", $crate::optimizers::Adam::adamw(1e-2), true);
            $body;
        }
    }};
}
