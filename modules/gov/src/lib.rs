//! deai gov module: proposals that execute messages as the gov account, deposits, weighted votes, tally (cosmos.gov.v1). Being built (issue 15).
