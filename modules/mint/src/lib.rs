//! deai mint module: inflation toward a bonded ratio and the emission split to the AI markets (cosmos.mint.v1beta1). Being built (issue 15).
