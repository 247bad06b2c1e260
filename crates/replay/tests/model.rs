//! FIFO, LRU, OPT, Clock and Second on random reference strings agree with the model crate's
//! naive restatement of their rules (`model::replacement`): the replay's counts (faults,
//! hits, disk writes), and the driver's victim at every step.

use model::replacement::{self, Rule};
use policy::{Options, Reference, Simulator};
use proptest::prelude::*;
use replay::{PageRef, Spec};

fn rule() -> impl Strategy<Value = (Rule, Spec)> {
    prop_oneof![
        Just((Rule::Fifo, Spec::Fifo)),
        Just((Rule::Lru, Spec::Lru)),
        Just((Rule::Opt, Spec::Opt)),
        Just((Rule::Clock, Spec::Clock)),
        Just((Rule::Second, Spec::Second)),
    ]
}

proptest! {
    #[test]
    fn replay_and_driver_agree_with_the_model(
        refs in proptest::collection::vec((0u64..12, any::<bool>()), 0..250),
        (rule, spec) in rule(),
        frames in 1usize..9,
    ) {
        let want = replacement::run(rule, frames, &refs);
        let page_refs: Vec<PageRef> = refs.iter().map(|&(page, write)| PageRef { page, write }).collect();
        let c = replay::simulate(&page_refs, spec, frames).unwrap();
        prop_assert_eq!((c.page_faults, c.hits, c.disk_writes), (want.faults, want.hits, want.dirty_evictions));
        prop_assert_eq!(c.references, refs.len() as u64);

        let refs: Vec<Reference> = page_refs;
        let mut sim = Simulator::new(spec, frames, &Options::default(), &refs).unwrap();
        let victims: Vec<Option<u64>> = refs.iter().map(|r| sim.access(*r).victim.map(|(p, _)| p)).collect();
        prop_assert_eq!(victims, want.victims);
    }
}
