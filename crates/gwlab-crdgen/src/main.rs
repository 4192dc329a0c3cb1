//! `gwlab-crdgen [--check]`: regenerates the core's CRD validation tables from the CRD directory
//! (`GWLAB_CRDS_DIR`, default `../shared/crds` beside the repository), or with `--check` exits 1
//! when a committed table is out of date.

use gwlab_crdgen::{crds_dir, generate_table, repo_root, TABLES};

fn main() {
    let check = std::env::args().any(|a| a == "--check");
    let root = repo_root();
    let crds = crds_dir(&root);
    let mut stale = 0;
    for table in TABLES {
        let text = match generate_table(&crds, table) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("gwlab-crdgen: {e}");
                std::process::exit(2);
            }
        };
        let out = root.join(table.output);
        let current = std::fs::read_to_string(&out).unwrap_or_default();
        if current == text {
            continue;
        }
        if check {
            eprintln!(
                "gwlab-crdgen: {} is out of date; run `cargo run -p gwlab-crdgen`",
                table.output
            );
            stale += 1;
        } else if let Err(e) = std::fs::create_dir_all(out.parent().unwrap_or(&root))
            .and_then(|_| std::fs::write(&out, &text))
        {
            eprintln!("gwlab-crdgen: {}: {e}", out.display());
            std::process::exit(2);
        } else {
            println!("wrote {} ({} bytes)", table.output, text.len());
        }
    }
    if stale > 0 {
        std::process::exit(1);
    }
}
