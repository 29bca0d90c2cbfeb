//! One writer for sales and voids, with group commit.
//!
//! Every sale and void post is queued to one task. It takes whatever posts
//! are waiting, stores them all in one transaction (each post inside its own
//! savepoint, so a post that fails never fails the others), commits once,
//! and only then answers each post with its own outcomes. At a lunch rush
//! fifty terminals share one commit (one fsync on SQLite) instead of queuing
//! for the write lock one by one in SQLite's busy handler.
//!
//! Exactly-once still rests on the database: `ON CONFLICT (id) DO NOTHING`
//! and the content hash, so two copies of a sale in one group, or in two
//! backend processes on one PostgreSQL, are stored once.

use canteen_core::Money;
use chrono::{DateTime, Utc};
use sqlx::AnyPool;
use sqlx::{Any, Transaction};
use tokio::sync::{mpsc, oneshot};

use super::batch;
use super::sales::{insert_one_sale, insert_one_void};
use super::{Dialect, Outcome, ReceivedAt, SaleToStore, StoreError, StoreResult, VoidToStore};

/// Posts waiting beyond this many are refused at once rather than queued
/// without bound.
const QUEUE: usize = 4096;

/// One group commit stores at most about this many records; more waiting
/// posts go in the next group.
const GROUP_RECORDS: usize = 5000;

/// Tries of a group that meets a deadlock or a busy database.
const TRIES: u32 = 4;

type Reply = oneshot::Sender<StoreResult<Vec<Outcome>>>;

/// A post waiting for the writer.
enum Job {
    Sales {
        sales: Vec<SaleToStore>,
        received_at: ReceivedAt,
        reply: Reply,
    },
    Voids {
        voids: Vec<VoidToStore>,
        received_at: ReceivedAt,
        reply: Reply,
    },
}

impl Job {
    fn records(&self) -> usize {
        match self {
            Job::Sales { sales, .. } => sales.len(),
            Job::Voids { voids, .. } => voids.len(),
        }
    }

    fn reply(self, result: StoreResult<Vec<Outcome>>) {
        let reply = match self {
            Job::Sales { reply, .. } | Job::Voids { reply, .. } => reply,
        };
        // The poster may have gone (a timed-out request): its records are
        // stored all the same and a retry is answered "duplicate".
        let _ = reply.send(result);
    }
}

/// The handle posts are queued through; the task ends when the last handle
/// (the last clone of the store) is dropped.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task on the current tokio runtime.
    pub(super) fn spawn(pool: AnyPool, dialect: Dialect) -> Writer {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let (running, stopped) = oneshot::channel::<()>();
        match dialect {
            Dialect::Sqlite => tokio::spawn(checkpoint(pool.clone(), stopped)),
            Dialect::Postgres => tokio::spawn(keep_statistics(pool.clone(), stopped)),
        };
        tokio::spawn(async move {
            run(pool, dialect, jobs).await;
            drop(running);
        });
        Writer { queue }
    }

    /// Stores sales; answers after the commit that holds them.
    pub(super) async fn sales(
        &self,
        sales: Vec<SaleToStore>,
        received_at: ReceivedAt,
    ) -> StoreResult<Vec<Outcome>> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Sales {
            sales,
            received_at,
            reply,
        })
        .await?;
        answer.await.map_err(|_| gone())?
    }

    /// Stores voids; answers after the commit that holds them.
    pub(super) async fn voids(
        &self,
        voids: Vec<VoidToStore>,
        received_at: ReceivedAt,
    ) -> StoreResult<Vec<Outcome>> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Voids {
            voids,
            received_at,
            reply,
        })
        .await?;
        answer.await.map_err(|_| gone())?
    }

    async fn send(&self, job: Job) -> StoreResult<()> {
        self.queue.send(job).await.map_err(|_| gone())
    }
}

/// How often the WAL is copied back into the SQLite file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// SQLite: copies the WAL back into the database file every second, beside
/// the writer, until the writer stops. Connections never checkpoint on
/// their own (`wal_autocheckpoint = 0`): SQLite's automatic checkpoint runs
/// in the commit that crosses 1,000 pages, and that post waits for the copy
/// and its flush. A passive checkpoint never blocks the writer or a reader.
async fn checkpoint(pool: AnyPool, mut stopped: oneshot::Receiver<()>) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = every.tick() => {
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                    tracing::warn!(error = %e, "checkpointing the WAL failed; trying again in a second");
                }
            }
        }
    }
}

/// How often the statistics keeper looks at the tables.
const STATISTICS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Rows changed since a table's last ANALYZE that call for the next one: as
/// many as it held then (the table doubled), and at least this many.
/// Autovacuum's rule with coarser steps: the plans need statistics, not
/// fresh ones, and each ANALYZE samples 30,000 rows on the cores the sale
/// posts run on (a fifth cost 6% of the batch ingest's time).
const ANALYZE_AFTER: i64 = 1000;

/// The tables sales grow, whose statistics the one-meal contest and the
/// claim are planned by.
const GROWING: &str = "SELECT c.relname::TEXT, s.n_mod_since_analyze, c.reltuples::BIGINT
     FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
     WHERE s.relid IN ('sales'::regclass, 'sale_lines'::regclass, 'voids'::regclass)";

/// PostgreSQL with autovacuum off: runs ANALYZE on each table sales grow
/// once enough of it changed since its last, until the writer stops (by
/// the server's own count, so rows another backend process stored count
/// too). The planner picks the one-meal contest's index by the statistics;
/// without any it took the claim's index (township, day) and filtered
/// every line of the township, so each post got slower as the month's
/// sales grew. With autovacuum on (PostgreSQL's default) the server keeps
/// them itself.
async fn keep_statistics(pool: AnyPool, mut stopped: oneshot::Receiver<()>) {
    match sqlx::query_scalar::<_, String>("SHOW autovacuum")
        .fetch_one(&pool)
        .await
    {
        Ok(on) if on == "on" => return,
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "could not tell whether autovacuum is on; keeping statistics here");
        }
    }
    let mut every = tokio::time::interval(STATISTICS_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = every.tick() => {
                if let Err(e) = analyse_grown(&pool).await {
                    tracing::warn!(error = %e, "keeping the planner's statistics failed; trying again in a second");
                }
            }
        }
    }
}

/// One look: ANALYZE on the growing tables that changed enough.
async fn analyse_grown(pool: &AnyPool) -> Result<(), sqlx::Error> {
    let tables: Vec<(String, i64, i64)> = sqlx::query_as(GROWING).fetch_all(pool).await?;
    for (table, changed, rows) in tables {
        // `reltuples` is -1 before the first ANALYZE.
        if changed >= ANALYZE_AFTER.max(rows) {
            // One of the three names above, never input.
            sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {table}")))
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

fn gone() -> StoreError {
    StoreError::Writer("the writer task has stopped".into())
}

async fn run(pool: AnyPool, dialect: Dialect, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut records = first.records();
        let mut group = vec![first];
        while records < GROUP_RECORDS {
            match jobs.try_recv() {
                Ok(job) => {
                    records += job.records();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        commit_group(&pool, dialect, group).await;
    }
}

/// Stores a group in one transaction and answers each post after the commit.
async fn commit_group(pool: &AnyPool, dialect: Dialect, group: Vec<Job>) {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match try_group(pool, dialect, &group).await {
            Ok(results) => {
                for (job, result) in group.into_iter().zip(results) {
                    job.reply(result);
                }
                return;
            }
            Err(StoreError::Database(e)) if attempt < TRIES && super::retryable(&e) => {
                tracing::warn!(error = %e, attempt, "retrying a group of sales and voids");
                tokio::time::sleep(std::time::Duration::from_millis(20 * u64::from(attempt))).await;
            }
            Err(e) => {
                tracing::error!(error = %e, posts = group.len(), "a group commit failed");
                let message = e.to_string();
                for job in group {
                    job.reply(Err(StoreError::Writer(message.clone())));
                }
                return;
            }
        }
    }
}

/// One try at a group: the outcome of each post (its own error when its
/// savepoint was rolled back), or the error that failed the transaction.
async fn try_group(
    pool: &AnyPool,
    dialect: Dialect,
    group: &[Job],
) -> StoreResult<Vec<StoreResult<Vec<Outcome>>>> {
    // Every diner whose subsidised meal the group decides, locked at once
    // and in order (PostgreSQL), so groups of two backend processes agree.
    let diners: Vec<i64> = group
        .iter()
        .flat_map(|job| match job {
            Job::Sales { sales, .. } => sales.as_slice(),
            Job::Voids { .. } => &[],
        })
        .flat_map(|s| s.lines.iter())
        .filter(|l| l.first.as_ref().is_some_and(|v| v.subsidy > Money::ZERO))
        .filter_map(|l| l.diner_id.map(|d| d.0))
        .collect();
    // A group that opens with sales posts takes the run's savepoint with
    // BEGIN, one round trip fewer.
    let opens_with_run = matches!(group.first(), Some(Job::Sales { .. }));
    let mut tx = dialect.begin_ingest(pool, &diners, opens_with_run).await?;
    // Stamped inside the transaction, after the write lock (SQLite) or the
    // ingest lock (PostgreSQL): a month close orders against it, so a post
    // stamped before a close's cut is committed before the close reads.
    let now = Utc::now();
    let mut results: Vec<StoreResult<Vec<Outcome>>> = Vec::with_capacity(group.len());
    let mut at = 0;
    while at < group.len() {
        // A run of sales posts is stored at once; a void post on its own.
        let run = group[at..]
            .iter()
            .take_while(|job| matches!(job, Job::Sales { .. }))
            .count();
        if run > 0 {
            let jobs = &group[at..at + run];
            let savepoint_taken = at == 0 && opens_with_run;
            match store_run(&mut tx, dialect, jobs, now, savepoint_taken).await {
                Ok(outcomes) => results.extend(outcomes.into_iter().map(Ok)),
                Err(StoreError::Database(e)) if super::retryable(&e) => {
                    return Err(StoreError::Database(e));
                }
                Err(e) => {
                    // Post by post, so one post's failure fails only it.
                    tracing::warn!(error = %e, "storing a run of posts at once failed; post by post");
                    for job in jobs {
                        results.push(store_post(&mut tx, job, now).await?);
                    }
                }
            }
            at += run;
        } else {
            results.push(store_post(&mut tx, &group[at], now).await?);
            at += 1;
        }
    }
    tx.commit().await?;
    Ok(results)
}

/// A run of sales posts stored at once inside a savepoint (taken here
/// unless `savepoint_taken`), rolled back to it when anything fails.
async fn store_run(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    jobs: &[Job],
    now: DateTime<Utc>,
    savepoint_taken: bool,
) -> StoreResult<Vec<Vec<Outcome>>> {
    let posts: Vec<batch::Post<'_>> = jobs
        .iter()
        .filter_map(|job| match job {
            Job::Sales {
                sales, received_at, ..
            } => Some(batch::Post {
                sales,
                received_at: received_at.or(now),
            }),
            Job::Voids { .. } => None,
        })
        .collect();
    if !savepoint_taken {
        sqlx::query("SAVEPOINT run").execute(&mut **tx).await?;
    }
    match batch::store_posts(tx, dialect, &posts).await {
        // Not released: the commit keeps what it holds, and a later run's
        // savepoint of the same name is the one a rollback would go to.
        // One round trip fewer for every post.
        Ok(outcomes) => Ok(outcomes),
        Err(e) => {
            sqlx::query("ROLLBACK TO SAVEPOINT run")
                .execute(&mut **tx)
                .await?;
            sqlx::query("RELEASE SAVEPOINT run")
                .execute(&mut **tx)
                .await?;
            Err(e)
        }
    }
}

/// One post in its own savepoint: its outcomes, or its own error when it
/// was rolled back; `Err` only for what fails the whole transaction.
async fn store_post(
    tx: &mut Transaction<'static, Any>,
    job: &Job,
    now: DateTime<Utc>,
) -> StoreResult<StoreResult<Vec<Outcome>>> {
    sqlx::query("SAVEPOINT post").execute(&mut **tx).await?;
    let result = match job {
        Job::Sales {
            sales, received_at, ..
        } => store_sales(tx, sales, received_at.or(now)).await,
        Job::Voids {
            voids, received_at, ..
        } => store_voids(tx, voids, received_at.or(now)).await,
    };
    match result {
        Ok(outcomes) => {
            sqlx::query("RELEASE SAVEPOINT post")
                .execute(&mut **tx)
                .await?;
            Ok(Ok(outcomes))
        }
        // A deadlock or busy database: the whole group tries again.
        Err(StoreError::Database(e)) if super::retryable(&e) => Err(StoreError::Database(e)),
        Err(e) => {
            tracing::warn!(error = %e, "a post failed; the others in its group go on");
            sqlx::query("ROLLBACK TO SAVEPOINT post")
                .execute(&mut **tx)
                .await?;
            Ok(Err(e))
        }
    }
}

/// The sales of one post, in the order they were sold (then by id), so the
/// verdict does not depend on how the terminal ordered its batch.
async fn store_sales(
    tx: &mut Transaction<'static, Any>,
    sales: &[SaleToStore],
    received_at: DateTime<Utc>,
) -> StoreResult<Vec<Outcome>> {
    let mut order: Vec<usize> = (0..sales.len()).collect();
    order.sort_by(|&a, &b| (sales[a].sold_at, &sales[a].id).cmp(&(sales[b].sold_at, &sales[b].id)));
    let mut outcomes = vec![Outcome::Duplicate; sales.len()];
    for i in order {
        outcomes[i] = insert_one_sale(tx, &sales[i], received_at).await?;
    }
    Ok(outcomes)
}

async fn store_voids(
    tx: &mut Transaction<'static, Any>,
    voids: &[VoidToStore],
    received_at: DateTime<Utc>,
) -> StoreResult<Vec<Outcome>> {
    let mut order: Vec<usize> = (0..voids.len()).collect();
    order.sort_by(|&a, &b| voids[a].id.cmp(&voids[b].id));
    let mut outcomes = vec![Outcome::Duplicate; voids.len()];
    for i in order {
        outcomes[i] = insert_one_void(tx, &voids[i], received_at).await?;
    }
    Ok(outcomes)
}
