//! The one decoder of safetensors tensor data in deai, shared by the engine (datasets,
//! weights, checkpoints) and the zk quantizer (weights). The `safetensors` crate is
//! re-exported so that every crate uses the single version in the tree (the one `tch`
//! pins).

pub use safetensors;
use safetensors::tensor::{Dtype, TensorView};

/// Elements of a float tensor as f32: F32 as is, F64 narrowed (round to nearest), U8 widened.
pub fn floats(name: &str, view: &TensorView<'_>) -> Result<Vec<f32>, String> {
    let d = view.data();
    Ok(match view.dtype() {
        Dtype::F32 => d
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::F64 => d
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32)
            .collect(),
        Dtype::U8 => d.iter().map(|&b| f32::from(b)).collect(),
        other => return Err(format!("{name:?} has dtype {other:?}; use F32, F64 or U8")),
    })
}

/// Elements of an integer tensor as i64 (I64, I32 or U8).
pub fn ints(name: &str, view: &TensorView<'_>) -> Result<Vec<i64>, String> {
    let d = view.data();
    Ok(match view.dtype() {
        Dtype::I64 => d
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            .collect(),
        Dtype::I32 => d
            .chunks_exact(4)
            .map(|b| i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            .collect(),
        Dtype::U8 => d.iter().map(|&b| i64::from(b)).collect(),
        other => return Err(format!("{name:?} has dtype {other:?}; use I64, I32 or U8")),
    })
}

/// Number of elements a shape holds, or `None` if it overflows.
pub fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_each_supported_dtype_and_names_the_others() {
        let f64s: Vec<u8> = [1.5f64, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let v = TensorView::new(Dtype::F64, vec![2], &f64s).unwrap();
        assert_eq!(floats("x", &v).unwrap(), vec![1.5, -2.0]);
        let i32s: Vec<u8> = [7i32, -3].iter().flat_map(|v| v.to_le_bytes()).collect();
        let v = TensorView::new(Dtype::I32, vec![2], &i32s).unwrap();
        assert_eq!(ints("y", &v).unwrap(), vec![7, -3]);
        let err = floats("y", &v).unwrap_err();
        assert!(err.contains("\"y\" has dtype I32"), "{err}");
        assert_eq!(element_count(&[usize::MAX, 2]), None);
        assert_eq!(element_count(&[3, 4]), Some(12));
    }
}
