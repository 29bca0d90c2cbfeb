//! The monthly subsidy claim.
