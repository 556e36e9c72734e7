//! The node's minimum gas price, a decimal coin such as `0.025udeai`, in fixed point.
//!
//! The type lives in `deai-client` (the CLI and the workers price their fees with it); the
//! node checks fees with the very same code ([`GasPrice::check`]).

pub use deai_client::sender::GasPrice;
