//! Write scripts: statements kept or undone together inside a larger
//! transaction, keys reserved before the rows that use them, and reads
//! sent together.

use crate::helpers::*;
use crate::on_both_backends;
use satupintu::store::entity::{citizen, citizen_address};
use satupintu::store::keys::reserve_ids;
use satupintu::store::reads::Reads;
use satupintu::store::script::Script;
use satupintu::store::Store;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryTrait, Set, TransactionTrait,
};

fn citizen(id: Option<i64>, name: &str) -> citizen::ActiveModel {
    citizen::ActiveModel {
        id: id.map_or(sea_orm::NotSet, Set),
        display_name: Set(Some(name.to_string())),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
}

async fn store(backend: Backend, dir: &std::path::Path) -> (Store, TestDb) {
    let db = TestDb::new(backend, dir).await;
    let store = Store::connect(&db.url, 2).await.unwrap();
    store.migrate().await.unwrap();
    (store, db)
}

async fn names(store: &Store) -> Vec<String> {
    let mut names: Vec<String> = citizen::Entity::find()
        .all(store.db())
        .await
        .unwrap()
        .into_iter()
        .filter_map(|c| c.display_name)
        .collect();
    names.sort();
    names
}

/// Inserts `count` citizens with reserved keys in one script; their keys.
async fn insert_reserved(store: &Store, count: usize) -> Vec<i64> {
    let txn = store.db().begin().await.unwrap();
    let keys = reserve_ids(&txn, &[("citizens", count)]).await.unwrap();
    let mut script = Script::new(store.backend());
    script.insert(
        keys[0]
            .iter()
            .map(|&id| citizen(Some(id), &format!("r{id}"))),
    );
    script.run(&txn).await.unwrap();
    txn.commit().await.unwrap();
    keys.into_iter().next().unwrap()
}

async fn reserved_keys_follow_the_rows_before_them(backend: Backend) {
    let dir = tempdir();
    let (store, _db) = store(backend, dir.path()).await;
    // Nothing inserted yet.
    let txn = store.db().begin().await.unwrap();
    let none = reserve_ids(&txn, &[("citizens", 0), ("complaints", 0)])
        .await
        .unwrap();
    assert_eq!(none, [Vec::<i64>::new(), Vec::new()]);
    txn.rollback().await.unwrap();
    let first = insert_reserved(&store, 2).await;
    assert_eq!(first.len(), 2);
    assert!(first[0] < first[1]);

    citizen::Entity::insert(citizen(None, "plain"))
        .exec(store.db())
        .await
        .unwrap();
    let later = insert_reserved(&store, 3).await;
    let plain = citizen::Entity::find()
        .all(store.db())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.display_name.as_deref() == Some("plain"))
        .unwrap();
    assert!(
        plain.id > first[1],
        "the plain insert took a key after the reserved ones"
    );
    assert!(later[0] > plain.id, "reserved keys follow the plain insert");
    // And an ordinary insert after the script goes on after its keys.
    let next = citizen::Entity::insert(citizen(None, "after"))
        .exec(store.db())
        .await
        .unwrap()
        .last_insert_id;
    assert!(next > later[2]);
    assert_eq!(citizen::Entity::find().count(store.db()).await.unwrap(), 7);
}

async fn a_failing_script_leaves_nothing_and_the_transaction_goes_on(backend: Backend) {
    let dir = tempdir();
    let (store, _db) = store(backend, dir.path()).await;
    let txn = store.db().begin().await.unwrap();
    citizen::Entity::insert(citizen(Some(50), "before"))
        .exec(&txn)
        .await
        .unwrap();
    let mut script = Script::new(store.backend());
    script.insert([citizen(Some(60), "kept?"), citizen(Some(61), "kept?")]);
    // Key 50 is taken: the script's second statement fails.
    script.insert([citizen(Some(50), "clash")]);
    assert_eq!(script.len(), 2);
    let err = script.run(&txn).await.unwrap_err();
    assert!(
        satupintu::store::is_unique_violation(&err),
        "unexpected error: {err}"
    );
    citizen::Entity::insert(citizen(Some(70), "after"))
        .exec(&txn)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(names(&store).await, ["after", "before"]);

    // A script that fails on its first statement undoes cleanly too.
    let txn = store.db().begin().await.unwrap();
    let mut script = Script::new(store.backend());
    script.insert([citizen(Some(50), "clash")]);
    assert!(script.run(&txn).await.is_err());
    let mut script = Script::new(store.backend());
    script.insert([citizen(Some(80), "later")]);
    script.run(&txn).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(names(&store).await, ["after", "before", "later"]);
    store
        .db()
        .execute_unprepared("SELECT 1")
        .await
        .expect("the connection is usable after a failed script");
}

/// The display names in `rows` of citizens, sorted.
fn row_names(rows: Vec<sea_orm::QueryResult>) -> Vec<String> {
    let mut names: Vec<String> = rows
        .iter()
        .map(|r| citizen::Model::from_query_result(r, "").unwrap())
        .filter_map(|c| c.display_name)
        .collect();
    names.sort();
    names
}

async fn reads_come_back_under_their_tags(backend: Backend) {
    let dir = tempdir();
    let (store, _db) = store(backend, dir.path()).await;
    citizen::Entity::insert_many([
        citizen(Some(1), "ani"),
        citizen(Some(2), "budi"),
        citizen(Some(3), "citra"),
    ])
    .exec(store.db())
    .await
    .unwrap();
    let find = |c: sea_orm::Condition| citizen::Entity::find().filter(c).build(store.backend());
    let mut reads = Reads::new(store.backend());
    // Parameters of each read are bound to its own statement, in order.
    reads.add(
        "two",
        find(sea_orm::Condition::all().add(citizen::Column::DisplayName.is_in(["ani", "citra"]))),
    );
    reads.add(
        "none",
        find(sea_orm::Condition::all().add(citizen::Column::Id.eq(99))),
    );
    reads.add(
        "one",
        find(sea_orm::Condition::all().add(citizen::Column::Id.eq(2))),
    );
    let mut answers = reads.run(store.db()).await.unwrap();
    assert_eq!(row_names(answers.take("two")), ["ani", "citra"]);
    assert_eq!(row_names(answers.take("one")), ["budi"]);
    assert!(answers.take("none").is_empty());
    assert!(answers.take("two").is_empty(), "rows are taken once");

    // Nothing to read answers nothing, without asking the database.
    let mut empty = Reads::new(store.backend()).run(store.db()).await.unwrap();
    assert!(empty.take("two").is_empty());

    // A read that fails fails them all, and the connection stays usable.
    let mut reads = Reads::new(store.backend());
    reads.add(
        "one",
        find(sea_orm::Condition::all().add(citizen::Column::Id.eq(2))),
    );
    reads.add(
        "bad",
        sea_orm::Statement::from_string(store.backend(), "SELECT no_such_column FROM citizens"),
    );
    assert!(reads.run(store.db()).await.is_err());
    assert_eq!(names(&store).await, ["ani", "budi", "citra"]);
}

/// A script's rows may refer to rows it inserts earlier, each statement's
/// parameters reach its own rows, and a row that refers to no row fails
/// the whole script.
async fn a_script_refers_to_its_own_rows(backend: Backend) {
    let dir = tempdir();
    let (store, _db) = store(backend, dir.path()).await;
    let txn = store.db().begin().await.unwrap();
    let keys = reserve_ids(&txn, &[("citizens", 2)]).await.unwrap();
    let (ani, budi) = (keys[0][0], keys[0][1]);
    let mut script = Script::new(store.backend());
    script.insert([citizen(Some(ani), "ani"), citizen(Some(budi), "budi")]);
    let address = |citizen_id: i64, address: &str| citizen_address::ActiveModel {
        citizen_id: Set(citizen_id),
        kind: Set("phone".into()),
        address: Set(address.into()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    script.insert([address(budi, "+6281100000002")]);
    script.insert([address(ani, "+6281100000001")]);
    assert_eq!(script.len(), 3);
    script.run(&txn).await.unwrap();
    txn.commit().await.unwrap();
    let mut rows: Vec<(i64, String)> = citizen_address::Entity::find()
        .all(store.db())
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.citizen_id, a.address))
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            (ani, "+6281100000001".to_string()),
            (budi, "+6281100000002".to_string())
        ]
    );

    // A row that refers to no row fails the whole script.
    let txn = store.db().begin().await.unwrap();
    let mut script = Script::new(store.backend());
    script.insert([citizen(Some(budi + 100), "citra")]);
    script.insert([address(budi + 999, "+6281100000003")]);
    assert!(script.run(&txn).await.is_err());
    txn.commit().await.unwrap();
    assert_eq!(names(&store).await, ["ani", "budi"]);
}

on_both_backends!(
    a_script_refers_to_its_own_rows,
    reads_come_back_under_their_tags,
    reserved_keys_follow_the_rows_before_them,
    a_failing_script_leaves_nothing_and_the_transaction_goes_on,
);
