//! inference's share of the chain's inflation (deai-mint's emission split): the
//! [`EmissionSink`] that the app hands to `deai_mint::MintModule::new`.
//!
//! - **Recipients**: topics, by id.
//! - **Weight**: Allora's topic weight with exponent 0.5, `⌊√stake⌋ × ⌊√fees⌋`, where
//!   `stake` is the sum of the topic's worker and reputer stakes (at most
//!   [`crate::MAX_TOPIC_WORKERS`] + [`crate::MAX_TOPIC_REPUTERS`] records) and `fees` is the
//!   fee revenue still in the topic's pool (below). Rounding: each square root is floored
//!   (exact integer roots, `deai_mint::math::isqrt`), so the weight is at most the exact
//!   √(stake·fees) and below it by less than √stake + √fees; a topic with no stake or no
//!   fees weighs 0.
//! - **Fees**: deai has no per-topic fee revenue record yet; the fees a topic's demand side
//!   paid in (its creation fee) sit in its pool until its epochs pay them out. The pool also
//!   holds the emission credited here, which must not count as fees (it would feed itself),
//!   so this file keeps per topic the emission part of the pool (`state_key::emission_topic`):
//!   settlements pay a fraction of the whole pool, so between two credits the emission part
//!   shrinks in proportion to the pool (`part × pool_now / pool_after_last_credit`, floored,
//!   never grown; `deai_mint::PoolPart`); `fees = pool − emission part`.
//!   Topics never close (nothing is refunded to a topic's creator), so the part is only
//!   read here; genesis exports and imports the records (`TopicEmission`), so a restarted
//!   chain keeps the same fee proxy.
//! - **Credit**: the claim is added to the topic's pool (`Topic.pool`), which each settled
//!   epoch pays to its workers and reputers; the mint module moves the coins into the
//!   inference module account, which keeps holding exactly the sum of its records. A pool of
//!   another denom or an unknown topic refuses (the claim goes to the community pool).
//!
//! deai-mint keeps the lazy index, moves every coin and credits by the rules all reward-pool
//! markets share (`deai_mint::reward_pools`); this file says where inference's topic pools
//! are and what they weigh.

use deai_framework::keys::prefix_end;
use deai_framework::{records, sdk, Coin, Ctx, StateRead, StateWrite, TxError};
use deai_mint::math::isqrt;
use deai_mint::reward_pools::{export_parts, import_part, part_of};
use deai_mint::{EmissionSink, PoolSink, RewardPools};
use deai_proto::inference::v1 as pb;

use crate::keeper::{InferenceRead, InferenceWrite};
use crate::msgs::stored_coin;
use crate::{state_key, MAX_TOPIC_REPUTERS, MAX_TOPIC_WORKERS, MODULE_ACCOUNT, MODULE_NAME};

/// Topics visited per block (each reads up to 320 stake records).
pub const VISITS_PER_BLOCK: usize = 8;

/// inference's topic pools, as the mint module credits them.
#[derive(Clone, Copy, Debug, Default)]
pub struct TopicPools;

/// inference's emission sink.
pub type InferenceEmission = PoolSink<TopicPools>;

/// The sink, boxed for `deai_mint::MintModule::new`.
pub fn sink() -> Box<dyn EmissionSink> {
    InferenceEmission::boxed()
}

fn stake_sum<S: StateRead + ?Sized, M: prost::Message + Default>(
    s: &S,
    prefix: &[u8],
    limit: u32,
    stake: impl Fn(&M) -> &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>,
) -> Result<u128, TxError> {
    let end = prefix_end(prefix);
    let mut sum: u128 = 0;
    for (_, v) in s.scan(prefix, end.as_deref(), false, limit as usize)? {
        let m: M = records::decode(MODULE_NAME, &v)?;
        sum = sum
            .checked_add(stored_coin(stake(&m), "stake")?.amount)
            .ok_or_else(|| sdk::internal("topic stake overflows"))?;
    }
    Ok(sum)
}

/// (stake, fees) of topic `id`; (0, 0) for an unknown topic.
pub fn topic_stake_and_fees(s: &dyn StateRead, id: u64) -> Result<(u128, u128), TxError> {
    let Some(t) = s.get_topic(id)? else {
        return Ok((0, 0));
    };
    let workers = stake_sum::<_, pb::TopicWorker>(
        s,
        &state_key::topic_workers_of(id),
        MAX_TOPIC_WORKERS,
        |w| &w.stake,
    )?;
    let reputers =
        stake_sum::<_, pb::Reputer>(s, &state_key::reputers_of(id), MAX_TOPIC_REPUTERS, |r| {
            &r.stake
        })?;
    let stake = workers
        .checked_add(reputers)
        .ok_or_else(|| sdk::internal("topic stake overflows"))?;
    let pool = stored_coin(&t.pool, "topic pool")?.amount;
    let fees = pool - part_of::<TopicPools>(s, id)?.now(pool)?;
    Ok((stake, fees))
}

/// Allora's topic weight with exponent 0.5: ⌊√stake⌋ × ⌊√fees⌋.
pub fn topic_weight(stake: u128, fees: u128) -> u128 {
    // Both roots are below 2^64, so the product fits.
    isqrt(stake) * isqrt(fees)
}

/// Every emission record, for genesis export.
pub(crate) fn export(s: &dyn StateRead) -> Result<Vec<pb::TopicEmission>, TxError> {
    Ok(export_parts::<TopicPools>(s)?
        .into_iter()
        .map(|(topic_id, p)| pb::TopicEmission {
            topic_id,
            part: p.part.to_string(),
            balance_after: p.balance_after.to_string(),
        })
        .collect())
}

/// Imports the emission records (after the topics).
pub(crate) fn import(
    s: &mut dyn StateWrite,
    records: &[pb::TopicEmission],
    invalid: impl Fn(String) -> TxError,
) -> Result<(), TxError> {
    for r in records {
        import_part::<TopicPools>(s, r.topic_id, &r.part, &r.balance_after, &invalid)?;
    }
    Ok(())
}

impl RewardPools for TopicPools {
    type Record = pb::Topic;
    const MARKET: &'static str = deai_mint::INFERENCE;
    const ACCOUNT: &'static str = MODULE_ACCOUNT;
    const NOUN: &'static str = "topic";
    const VISITS_PER_BLOCK: usize = VISITS_PER_BLOCK;

    fn record_key(id: u64) -> Vec<u8> {
        state_key::topic(id)
    }

    fn records_prefix() -> Vec<u8> {
        state_key::topics()
    }

    fn part_key(id: u64) -> Vec<u8> {
        state_key::emission_topic(id)
    }

    fn parts_prefix() -> Vec<u8> {
        state_key::emission_topics()
    }

    fn load(s: &dyn StateRead, id: u64) -> Result<Option<pb::Topic>, TxError> {
        s.get_topic(id)
    }

    fn store(ctx: &mut Ctx, t: &pb::Topic) -> Result<(), TxError> {
        ctx.put_topic(t)
    }

    /// Topics never close.
    fn takes_emission(_: &pb::Topic) -> bool {
        true
    }

    fn balance(t: &pb::Topic) -> Result<Coin, TxError> {
        stored_coin(&t.pool, "topic pool")
    }

    fn set_balance(t: &mut pb::Topic, pool: &Coin) {
        t.pool = Some(pool.to_proto());
    }

    fn weight(s: &dyn StateRead, id: u64) -> Result<u128, TxError> {
        let (stake, fees) = topic_stake_and_fees(s, id)?;
        Ok(topic_weight(stake, fees))
    }
}

#[cfg(test)]
mod tests {
    use deai_bank::BankRead;
    use deai_framework::{Ctx, GasMeter, MemStore, Module};
    use deai_mint::{MintModule, MintRead};

    use super::*;
    use crate::tests::*;
    use crate::tests_topics::{amount, create_msg, reputer_msg, topic_of, worker_msg, CREATED};

    fn with_mint(mut s: MemStore) -> MemStore {
        MintModule::default()
            .init_genesis(
                &mut s,
                &serde_json::json!({"emission_split": {
                    "validators_bps": 0, "training_bps": 0, "inference_bps": 10000,
                    "data_bps": 0, "community_pool_bps": 0}}),
            )
            .unwrap();
        s
    }

    fn mint_block(s: &mut MemStore, m: &MintModule, h: u64) -> deai_mint::Minted {
        let gas = GasMeter::infinite();
        let snap = s.clone();
        let b = deai_framework::testing::block(h);
        let mut ctx = Ctx::new(&snap, &gas, &b);
        let out = deai_mint::begin_blocker(&mut ctx, m.sinks()).unwrap();
        let (w, _) = ctx.finish();
        s.apply(w);
        out
    }

    fn create_topic(s: &mut MemStore, fee: u128) -> u64 {
        let mut msg = create_msg(pb::LossMethod::Squared, "0.5");
        msg.fee = udeai(fee);
        let r: pb::MsgCreateTopicResponse = exec_response(s, CREATED, msg).unwrap();
        r.topic_id
    }

    #[test]
    fn weight_is_the_floored_roots_product() {
        assert_eq!(topic_weight(1_000_000, 10_000_000), 1_000 * 3_162);
        assert_eq!(topic_weight(0, 10), 0);
        assert_eq!(topic_weight(10, 0), 0);
        assert_eq!(
            topic_weight(u128::MAX, u128::MAX),
            u64::MAX as u128 * u64::MAX as u128
        );
    }

    #[test]
    fn topics_are_credited_by_stake_and_fees_lazily() {
        let mut s = store();
        let a = create_topic(&mut s, 10_000_000);
        let b = create_topic(&mut s, 40_000_000);
        let c = create_topic(&mut s, 10_000_000); // no stake: weight 0
        exec_at(&mut s, CREATED, worker_msg(a, 2, 1_000_000)).unwrap();
        exec_at(&mut s, CREATED, worker_msg(b, 3, 3_000_000)).unwrap();
        exec_at(&mut s, CREATED, reputer_msg(b, 4, 1_000_000)).unwrap();
        let mut s = with_mint(s);
        let (wa, wb) = (1_000 * 3_162, 2_000 * 6_324);
        assert_eq!(InferenceEmission::new().weight(&s, a).unwrap(), wa);
        assert_eq!(InferenceEmission::new().weight(&s, b).unwrap(), wb);
        assert_eq!(InferenceEmission::new().weight(&s, c).unwrap(), 0);
        let m = MintModule::new(vec![sink()]);
        let b1 = mint_block(&mut s, &m, CREATED + 1);
        assert_eq!(b1.inference, b1.minted);
        assert_eq!(
            amount(&topic_of(&s, a).pool),
            10_000_000,
            "lazy: nothing yet"
        );
        mint_block(&mut s, &m, CREATED + 2);
        let da = amount(&topic_of(&s, a).pool) - 10_000_000;
        let db = amount(&topic_of(&s, b).pool) - 40_000_000;
        let exact_a = b1.minted * wa / (wa + wb);
        assert!(da <= exact_a && exact_a - da <= 1, "{da} vs {exact_a}");
        assert!(db <= b1.minted - exact_a && b1.minted - exact_a - db <= 1);
        assert_eq!(amount(&topic_of(&s, c).pool), 10_000_000);
        assert_eq!(
            deai_mint::reward_pools::unspent_emission::<TopicPools>(&s, a).unwrap(),
            da
        );
        // Emission credited does not count as fees: the weights are unchanged.
        assert_eq!(InferenceEmission::new().weight(&s, a).unwrap(), wa);
        assert_eq!(InferenceEmission::new().weight(&s, b).unwrap(), wb);
        assert_reconciles(&s);
        let st = s.market_state(deai_mint::INFERENCE).unwrap().unwrap();
        assert_eq!(
            s.module_balance(deai_mint::MODULE_ACCOUNT, "udeai")
                .unwrap(),
            st.unclaimed
        );
    }

    #[test]
    fn without_staked_topics_the_share_goes_to_the_community_pool() {
        let mut s = store();
        create_topic(&mut s, 10_000_000);
        let mut s = with_mint(s);
        let m = MintModule::new(vec![sink()]);
        let out = mint_block(&mut s, &m, CREATED + 1);
        assert_eq!((out.inference, out.community_pool), (0, out.minted));
        assert_eq!(
            s.module_balance(deai_bank::COMMUNITY_POOL, "udeai")
                .unwrap(),
            out.minted
        );
    }
}
