//! Chat spellings and common abbreviations, spelled out (`yg` -> `yang`,
//! `gak` -> `tidak`, `jln` -> `jalan`, `kel` -> `kelurahan`). Only words
//! that mean one thing in complaints are here: a guess would mislead.

use std::collections::HashMap;
use std::sync::LazyLock;

/// (as written, spelled out). A spelled-out form may be several words.
const SPELLINGS: &[(&str, &str)] = &[
    // negation
    ("gak", "tidak"),
    ("ga", "tidak"),
    ("gk", "tidak"),
    ("ngga", "tidak"),
    ("nggak", "tidak"),
    ("nggk", "tidak"),
    ("ngak", "tidak"),
    ("enggak", "tidak"),
    ("engga", "tidak"),
    ("tdk", "tidak"),
    ("tak", "tidak"),
    ("ndak", "tidak"),
    ("indak", "tidak"),
    ("kagak", "tidak"),
    ("blm", "belum"),
    ("blum", "belum"),
    ("bkn", "bukan"),
    // function words
    ("yg", "yang"),
    ("dgn", "dengan"),
    ("dg", "dengan"),
    ("utk", "untuk"),
    ("untk", "untuk"),
    ("krn", "karena"),
    ("karna", "karena"),
    ("krna", "karena"),
    ("tp", "tapi"),
    ("tpi", "tapi"),
    ("pd", "pada"),
    ("kpd", "kepada"),
    ("dlm", "dalam"),
    ("sm", "sama"),
    ("jg", "juga"),
    ("jga", "juga"),
    ("lg", "lagi"),
    ("lgi", "lagi"),
    ("aja", "saja"),
    ("sj", "saja"),
    ("kalo", "kalau"),
    ("klo", "kalau"),
    ("ato", "atau"),
    ("atw", "atau"),
    ("spt", "seperti"),
    ("sbg", "sebagai"),
    ("tsb", "tersebut"),
    ("ttg", "tentang"),
    ("pdhl", "padahal"),
    ("sampe", "sampai"),
    // time and state
    ("udh", "sudah"),
    ("udah", "sudah"),
    ("sdh", "sudah"),
    ("dah", "sudah"),
    ("msh", "masih"),
    ("masi", "masih"),
    ("skrg", "sekarang"),
    ("skrng", "sekarang"),
    ("kmrn", "kemarin"),
    ("kmarin", "kemarin"),
    ("sblm", "sebelum"),
    ("stlh", "setelah"),
    ("trs", "terus"),
    ("trus", "terus"),
    ("thn", "tahun"),
    ("bln", "bulan"),
    ("hr", "hari"),
    ("mgg", "minggu"),
    ("wkt", "waktu"),
    // people and places
    ("sy", "saya"),
    ("sya", "saya"),
    ("org", "orang"),
    ("urang", "orang"),
    ("rmh", "rumah"),
    ("dpn", "depan"),
    ("blkg", "belakang"),
    ("dkt", "dekat"),
    ("tmpt", "tempat"),
    ("tmp", "tempat"),
    ("jl", "jalan"),
    ("jln", "jalan"),
    ("jalanan", "jalan"),
    ("gg", "gang"),
    ("kel", "kelurahan"),
    ("kelr", "kelurahan"),
    ("kec", "kecamatan"),
    ("kab", "kabupaten"),
    ("sklh", "sekolah"),
    ("sekola", "sekolah"),
    ("sdn", "sd negeri"),
    ("smpn", "smp negeri"),
    ("sman", "sma negeri"),
    ("smkn", "smk negeri"),
    ("ektp", "ktp"),
    ("pkm", "puskesmas"),
    // degree and manner
    ("bgt", "banget"),
    ("bngt", "banget"),
    ("bnyk", "banyak"),
    ("byk", "banyak"),
    ("sgt", "sangat"),
    ("bnr", "benar"),
    ("lbh", "lebih"),
    ("krg", "kurang"),
    ("smua", "semua"),
    ("hrs", "harus"),
    ("bs", "bisa"),
    ("bsa", "bisa"),
    ("dpt", "dapat"),
    ("jd", "jadi"),
    ("jdi", "jadi"),
    ("br", "baru"),
    ("gmn", "bagaimana"),
    ("gimana", "bagaimana"),
    ("knp", "kenapa"),
    ("emg", "memang"),
    ("ado", "ada"),
    // requests
    ("mhn", "mohon"),
    ("tlg", "tolong"),
    ("tlng", "tolong"),
    ("trmksh", "terima kasih"),
    ("makasih", "terima kasih"),
];

static TABLE: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| SPELLINGS.iter().copied().collect());

/// The spelled-out form of a lower-case chat word, if it has one.
pub fn expand(word: &str) -> Option<&'static str> {
    TABLE.get(word).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_spelling_expands_into_another_spelling() {
        for (from, to) in SPELLINGS {
            for word in to.split(' ') {
                assert!(
                    expand(word).is_none(),
                    "`{from}` -> `{to}`: `{word}` would be expanded again"
                );
            }
        }
    }

    #[test]
    fn each_spelling_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for (from, _) in SPELLINGS {
            assert!(seen.insert(from), "`{from}` is listed twice");
        }
    }
}
