//! The plan report and the run summary as their readers see them.

use crate::engine::{BalanceShortfall, Summary, UnfitJob};

fn unfit(segment: u32, price_cents: u64) -> UnfitJob {
    UnfitJob {
        storyboard: "ep1/storyboard.json".to_string(),
        segment,
        version: 1,
        price_cents,
    }
}

#[test]
fn many_jobs_that_did_not_fit_the_balance_are_counted_and_the_first_few_named() {
    let jobs: Vec<UnfitJob> = (1..=8).map(|segment| unfit(segment, 30)).collect();
    let summary = Summary {
        jobs_total: 9,
        done: 1,
        not_started: 8,
        balance_shortfall: Some(BalanceShortfall {
            balance_cents: Some(2),
            currency: "USD".to_string(),
            needed_cents: 240,
            jobs,
        }),
        ..Summary::default()
    };
    let text = super::summary_text(&summary);
    assert!(
        text.contains("8 jobs did not fit the provider's balance ($0.02 left); together they cost $2.40: top up your account and run again to make them."),
        "{text}"
    );
    assert!(text.contains("  did not fit: ep1/storyboard.json segment 5 v1 ($0.30)\n"));
    assert!(!text.contains("segment 6 v1"), "five are named: {text}");
    assert!(text.contains("… and 3 more"), "{text}");
    assert!(!text.contains("not submitted"), "the line says it: {text}");
}

#[test]
fn the_plan_names_the_price_unit_in_text_and_json() {
    use crate::pricing::{PriceSource, Quote};
    use crate::provider::{PriceModel, Prices};
    let prices = Prices {
        normal_cents: 10,
        pro_cents: 30,
        pro_large_cents: None,
    };
    let quote = |model| Quote {
        prices: model,
        source: PriceSource::Settings,
        source_text: "from --price-normal/--price-pro".to_string(),
        currency: "USD".to_string(),
        balance_cents: None,
        warnings: Vec::new(),
        key_refused: None,
    };
    let plan = crate::plan::Plan::default();
    let per_second = super::PlanReport::new(&plan, &quote(PriceModel::PerSecond(prices)));
    assert!(
        per_second.to_text().contains(
            "Prices: $0.10 per second of normal video, $0.30 per second of pro video, charged per second"
        ),
        "{}",
        per_second.to_text()
    );
    let json = serde_json::to_value(&per_second).unwrap();
    assert_eq!(json["price_unit"], "second");
    assert_eq!(json["prices"]["normal_cents"], 10);
    let per_task = super::PlanReport::new(&plan, &quote(PriceModel::PerTask(prices)));
    assert!(
        per_task
            .to_text()
            .contains("Prices: $0.10 per normal job, $0.30 per pro job, charged per task"),
        "{}",
        per_task.to_text()
    );
    assert_eq!(
        serde_json::to_value(&per_task).unwrap()["price_unit"],
        "task"
    );
}
