//! deai distribution module: F1 fee and reward distribution, commission, community pool (cosmos.distribution.v1beta1). Being built (issue 15).
