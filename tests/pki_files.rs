//! What `tds certs …` leaves on disk: keys, bundles and the CA directory readable by their
//! owner only, and the broker's key owned by the user Mosquitto drops to.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use tds_testkit::{Backend, TestDb, seed_fleet};

mod common;

use common::tds;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn owner(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().uid()
}

fn passwd_uid(user: &str) -> u32 {
    std::fs::read_to_string("/etc/passwd")
        .unwrap()
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f[0] == user).then(|| f[2].parse().unwrap())
        })
        .unwrap_or_else(|| panic!("user {user} exists (Mosquitto's package creates it)"))
}

#[tokio::test]
async fn pki_files_have_the_modes_and_owners_they_need() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    let (_, gateways) = seed_fleet(&db.db, "UTC", 0x72, 2, 1, false).await;
    let root =
        std::env::temp_dir().join(format!("tds-pki-files-{}", uuid::Uuid::new_v4().simple()));
    let data = root.join("data");
    let env = [("TDS_DATA_DIR", data.as_path())];
    let path = |p: &str| root.join(p).to_str().unwrap().to_owned();

    tds(&env, &db.url, &["certs", "init-ca"]);
    assert_eq!(mode(&data.join("pki")), 0o700);
    assert_eq!(mode(&data.join("pki/ca.key")), 0o600);
    assert_eq!(mode(&data.join("pki/ca.pem")), 0o644);

    let mac = &gateways[0].mac;
    tds(
        &env,
        &db.url,
        &[
            "certs",
            "issue",
            "--mac",
            mac,
            "--algorithm",
            "p256",
            "--out",
            &path("gw"),
        ],
    );
    let name = mac.replace(':', "");
    assert_eq!(
        mode(&root.join("gw")),
        0o700,
        "a new directory holding a key"
    );
    assert_eq!(mode(&root.join(format!("gw/{name}.key"))), 0o600);
    assert_eq!(mode(&root.join(format!("gw/{name}.pem"))), 0o644);
    assert_eq!(mode(&root.join("gw/ca.pem")), 0o644);

    let csv = root.join("macs.csv");
    std::fs::write(&csv, format!("mac,algorithm\n{},p256\n", gateways[1].mac)).unwrap();
    tds(
        &env,
        &db.url,
        &[
            "certs",
            "batch",
            "--csv",
            csv.to_str().unwrap(),
            "--out",
            &path("bundles.zip"),
        ],
    );
    assert_eq!(mode(&root.join("bundles.zip")), 0o600, "the zip holds keys");

    tds(
        &env,
        &db.url,
        &[
            "certs",
            "service",
            "--cn",
            "tds-platform",
            "--out",
            &path("platform"),
        ],
    );
    assert_eq!(mode(&root.join("platform/tds-platform.key")), 0o600);

    tds(
        &env,
        &db.url,
        &["certs", "mosquitto", "--out", &path("broker")],
    );
    let broker = root.join("broker");
    assert_eq!(mode(&broker), 0o755, "the broker's user enters it");
    for public in ["acl", "ca.pem", "crl.pem", "broker.pem", "mosquitto.conf"] {
        assert_eq!(mode(&broker.join(public)), 0o644, "{public}");
    }
    assert_eq!(mode(&broker.join("broker.key")), 0o600);
    assert_eq!(mode(&broker.join("data")), 0o700);
    let conf = std::fs::read_to_string(broker.join("mosquitto.conf")).unwrap();
    let runs_as_root = owner(&broker.join("acl")) == 0;
    if runs_as_root {
        // As root (a service manager's start): the key and the persistence directory go
        // to the user Mosquitto drops to, and the configuration names it.
        let mosquitto = passwd_uid("mosquitto");
        assert_eq!(owner(&broker.join("broker.key")), mosquitto);
        assert_eq!(owner(&broker.join("data")), mosquitto);
        assert!(conf.contains("\nuser mosquitto\n"), "{conf}");
        // Another service user, by number.
        tds(
            &env,
            &db.url,
            &[
                "certs",
                "mosquitto",
                "--out",
                &path("broker2"),
                "--broker-user",
                "4321:4322",
            ],
        );
        let key = root.join("broker2/broker.key");
        let meta = std::fs::metadata(&key).unwrap();
        assert_eq!((meta.uid(), meta.gid(), mode(&key)), (4321, 4322, 0o600));
    }
    assert!(
        conf.contains(&format!("persistence_location {}/data/", broker.display())),
        "{conf}"
    );
    std::fs::remove_dir_all(root).unwrap();
}
