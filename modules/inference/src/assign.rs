//! The assignment draw: which server(s) answer a request.
//!
//! Candidates are the model's active servers (the `server_active` index, at most
//! `MAX_SERVERS_PER_MODEL` = 64 of them, so a draw reads at most 64 records) whose stake is
//! at least `server_min_stake` (a server slashed below it is not drawn). Server `i` is drawn
//! with probability `stake_i / Σ stake`: the draw `x` is the first 16 bytes of
//! `deai_framework::draw::draw("deai/inference/assign/<round>", prev block hash, request id)`
//! as a big-endian u128, reduced modulo Σ stake, and the server whose cumulative stake
//! interval (in address order) holds `x` wins. k servers are drawn without replacement, one
//! round each. The modulo bias is below Σ stake / 2^128.
//!
//! Grinding: the proposer of the previous block can try block hashes, and a requester
//! chooses the block its request lands in; each request is drawn once, and what a biased
//! draw buys is the choice among staked, slashable servers of the model.

use deai_framework::{draw, sdk, Coin, Ctx, TxError};
use deai_proto::inference::v1 as pb;

use crate::keeper::InferenceRead;

fn stake_of(s: &pb::Server) -> Result<Coin, TxError> {
    crate::msgs::stored_coin(&s.stake, "server stake")
}

/// Draws `k` distinct servers of `model_id` for request `request_id`, weighted by stake.
/// Fewer than `k` eligible servers: an empty list.
pub fn draw_servers(
    ctx: &Ctx,
    model_id: u64,
    request_id: u64,
    k: u32,
    min_stake: &Coin,
) -> Result<Vec<pb::Server>, TxError> {
    let mut candidates: Vec<(pb::Server, u128)> = Vec::new();
    for s in ctx.active_servers(model_id)? {
        let stake = stake_of(&s)?;
        if stake.denom == min_stake.denom && stake.amount >= min_stake.amount && stake.amount > 0 {
            candidates.push((s, stake.amount));
        }
    }
    if candidates.len() < k as usize {
        return Ok(Vec::new());
    }
    let mut chosen = Vec::with_capacity(k as usize);
    for round in 0..k {
        let total = candidates
            .iter()
            .try_fold(0u128, |acc, (_, w)| acc.checked_add(*w))
            .ok_or_else(|| sdk::overflow("total server stake overflows"))?;
        let d = draw::draw(
            &format!("deai/inference/assign/{round}"),
            &ctx.block.prev_block_hash,
            request_id,
        );
        let mut first = [0u8; 16];
        first.copy_from_slice(&d[..16]);
        let mut x = u128::from_be_bytes(first) % total;
        let mut pick = candidates.len() - 1;
        for (i, (_, w)) in candidates.iter().enumerate() {
            if x < *w {
                pick = i;
                break;
            }
            x -= *w;
        }
        chosen.push(candidates.remove(pick).0);
    }
    Ok(chosen)
}
