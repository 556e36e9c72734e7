//! Network partitions of a 4-validator localnet in network namespaces the test creates and removes.
