//! Errors: the app's (codespace, code, log) as gRPC status codes, and gRPC statuses as the
//! LCD's `{"code","message","details":[]}` with grpc-gateway's HTTP status mapping.

use deai_framework::error::sdk;
use deai_framework::TxError;
use tonic::{Code, Status};

/// The gRPC code of an app error.
pub fn code_of(e: &TxError) -> Code {
    if e.codespace != sdk::CODESPACE {
        // Module errors are about the request against the current state.
        return Code::InvalidArgument;
    }
    match e.code {
        sdk::INTERNAL => Code::Internal,
        sdk::KEY_NOT_FOUND | sdk::UNKNOWN_ADDRESS => Code::NotFound,
        sdk::UNKNOWN_REQUEST => Code::Unimplemented,
        sdk::UNAUTHORIZED => Code::PermissionDenied,
        sdk::INSUFFICIENT_FUNDS
        | sdk::INSUFFICIENT_FEE
        | sdk::WRONG_SEQUENCE
        | sdk::INVALID_SEQUENCE => Code::FailedPrecondition,
        sdk::OUT_OF_GAS => Code::ResourceExhausted,
        _ => Code::InvalidArgument,
    }
}

/// An app error as a gRPC status. The message keeps the codespace and code, as the Cosmos SDK
/// does, so clients can tell errors apart.
pub fn to_status(e: TxError) -> Status {
    let code = code_of(&e);
    // Logs written in the SDK's ABCI wording carry a gRPC prefix already; drop it here.
    let log = match e
        .log
        .strip_prefix("rpc error: code = ")
        .and_then(|r| r.split_once(" desc = "))
    {
        Some((_, desc)) => desc,
        None => e.log.as_str(),
    };
    Status::new(
        code,
        format!("{log}: codespace {} code {}", e.codespace, e.code),
    )
}

/// grpc-gateway's HTTP status for a gRPC code.
pub fn http_status(code: Code) -> u16 {
    match code {
        Code::Ok => 200,
        Code::Cancelled => 499,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => 400,
        Code::DeadlineExceeded => 504,
        Code::NotFound => 404,
        Code::AlreadyExists | Code::Aborted => 409,
        Code::PermissionDenied => 403,
        Code::Unauthenticated => 401,
        Code::ResourceExhausted => 429,
        Code::Unimplemented => 501,
        Code::Unavailable => 503,
        Code::Unknown | Code::Internal | Code::DataLoss => 500,
    }
}

/// The LCD error body.
pub fn lcd_body(s: &Status) -> serde_json::Value {
    serde_json::json!({
        "code": s.code() as i32,
        "message": s.message(),
        "details": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_codes_map_to_grpc_codes() {
        assert_eq!(
            to_status(sdk::invalid_address("bad")).code(),
            Code::InvalidArgument
        );
        assert_eq!(to_status(sdk::key_not_found("none")).code(), Code::NotFound);
        assert_eq!(
            to_status(sdk::unknown_request("no route")).code(),
            Code::Unimplemented
        );
        assert_eq!(to_status(sdk::internal("boom")).code(), Code::Internal);
        assert_eq!(
            to_status(TxError::new("bank", 2, "x")).code(),
            Code::InvalidArgument
        );
        let s = to_status(sdk::invalid_address("decoding bech32 failed"));
        assert!(s.message().contains("decoding bech32 failed"));
        assert!(s.message().contains("code 7"));
        assert_eq!(http_status(Code::NotFound), 404);
        let nf = to_status(sdk::key_not_found(
            "rpc error: code = NotFound desc = account x not found: key not found",
        ));
        assert_eq!(
            nf.message(),
            "account x not found: key not found: codespace sdk code 22"
        );
        assert_eq!(lcd_body(&s)["code"], 3);
        assert_eq!(lcd_body(&s)["details"], serde_json::json!([]));
    }
}
