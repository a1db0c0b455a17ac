// Package scoring is the measurement core of TrustPulse: Rasch rating scale
// calibration by conditional maximum likelihood (CML), Warm's weighted
// likelihood person measures (WLE), reliability, item fit, percent favorable,
// the reporting scale and the group statistics used for subgroup reports.
//
// The package is pure: no database, no HTTP, no clock, no globals. The spec is the
// design note MEASUREMENT.md; section numbers in comments (§3.2 …) refer to it.
//
// Conventions shared by every function here:
//   - Answers are categories 0..K-1 after any reverse coding; Missing (-1)
//     means "not answered" and is skipped, never imputed (§5).
//   - Logits are centred: item locations sum to 0 and the K-1 Andrich
//     thresholds sum to 0 (§3.1), so numbers compare directly with eRm or
//     psychotools once those are converted as §3.2 explains.
package scoring
