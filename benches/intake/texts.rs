//! Complaint texts as citizens write them: a problem from the Padang sample
//! (tests/data), placed in one of the city's kelurahan on a street with a
//! neighbourhood (RT/RW), told with varied details, names and phone numbers.
//! Every report is another citizen's; a small share (`REREPORT_PERCENT`)
//! reports, in other words, a problem someone reported shortly before at the
//! same spot, which duplicate detection should link.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use std::path::Path;

/// Share of reports that repeat an earlier citizen's problem and place.
pub const REREPORT_PERCENT: u32 = 3;

const GREETINGS: &[&str] = &[
    "Assalamualaikum Bapak/Ibu petugas.",
    "Selamat pagi, mohon izin melapor.",
    "Selamat siang admin, saya mau menyampaikan keluhan.",
    "Permisi pak, numpang lapor ya.",
    "Yth. Pemerintah Kota Padang,",
    "Malam min, tolong dibantu.",
    "",
];
const FIRST: &[&str] = &[
    "Siti",
    "Rahmat",
    "Yuliani",
    "Fadli",
    "Dewi",
    "Andi",
    "Nurhayati",
    "Rizki",
    "Afrizal",
    "Yusra",
    "Hendra",
    "Maya",
    "Zulkifli",
    "Rina",
    "Budi",
    "Elvi",
    "Irwan",
    "Desi",
    "Fauzan",
    "Mardiah",
];
const LAST: &[&str] = &[
    "Chaniago",
    "Piliang",
    "Koto",
    "Tanjung",
    "Sikumbang",
    "Jambak",
    "Caniago",
    "Melayu",
    "Sinaga",
    "Putri",
    "Saputra",
    "Hidayat",
    "Syafitri",
    "Nasution",
    "Rangkuti",
    "Guci",
];
const STREETS: &[&str] = &[
    "Jl. Sutomo",
    "Jl. Khatib Sulaiman",
    "Jl. S. Parman",
    "Jl. Prof. Hamka",
    "Jl. Adinegoro",
    "Jl. Veteran",
    "Jl. Gajah Mada",
    "Jl. Raya Indarung",
    "Jl. Dr. Moh. Hatta",
    "Jl. Bypass",
    "Jl. Padang Pariaman",
    "Jl. Perintis Kemerdekaan",
    "Jl. Bagindo Aziz Chan",
    "Jl. Ujung Gurun",
    "Jl. Rasuna Said",
    "Jl. Kampung Nias",
    "Jl. Hayam Wuruk",
    "Jl. Ampang Raya",
    "Jl. Belanti Raya",
    "Jl. Sawahan",
    "Jl. Thamrin",
    "Jl. Jati",
    "Jl. Andalas",
    "Jl. Ketaping",
    "Gang Mawar",
];
const LANDMARKS: &[&str] = &[
    "masjid",
    "musala",
    "SD negeri",
    "pasar",
    "puskesmas",
    "simpang",
    "jembatan",
    "kantor lurah",
    "minimarket",
    "pos ronda",
    "lapangan bola",
    "halte",
    "surau",
    "rumah makan",
];
const DETAILS: &[&str] = &[
    "Kondisi ini sudah berlangsung kurang lebih {n} minggu dan makin parah setiap hari.",
    "Sudah kami sampaikan ke pak RT dan pak lurah tapi sampai sekarang belum ada tindak lanjut.",
    "Anak-anak sekolah setiap pagi lewat di sini, kami khawatir ada yang celaka.",
    "Warga sudah gotong royong {n} kali tapi tidak bisa menyelesaikan masalahnya sendiri.",
    "Kalau malam lebih berbahaya karena penerangan kurang.",
    "Beberapa tetangga saya juga mengeluhkan hal yang sama di grup WA warga.",
    "Pedagang di sekitar sini bilang omzet mereka turun karena orang enggan lewat.",
    "Saya sudah foto kondisinya, bisa saya kirim kalau diperlukan.",
    "Kejadian serupa pernah terjadi tahun lalu dan waktu itu cepat ditangani.",
    "Ada lansia dan orang sakit di rumah sekitar sini yang ikut terdampak.",
    "Tadi pagi sekitar jam {h} saya lihat sendiri kondisinya.",
    "Menurut warga masalah ini mulai sejak ada pekerjaan galian beberapa bulan lalu.",
    "Kami tidak tahu harus melapor ke dinas mana, makanya lewat kanal ini.",
    "Jumlah rumah yang terdampak kira-kira {n}0 rumah di RT kami.",
    "Waktu hujan deras kemarin keadaannya jadi jauh lebih buruk.",
    "Mohon petugas bisa datang meninjau langsung ke lokasi.",
    "Ini sudah laporan kedua dari warga kompleks kami ke kelurahan.",
    "Di sebelahnya ada warung nasi yang ramai pembeli dari pagi sampai sore.",
    "Minggu lalu ada motor ojek yang terpeleset di situ, untung pengendaranya cuma luka ringan.",
    "Ibu-ibu pengajian di musala kami sudah berkali-kali membicarakan ini.",
    "Saya sudah tinggal di sini {n} tahun dan baru kali ini separah ini.",
    "Petugas kebersihan yang biasa lewat katanya juga sudah melapor ke atasannya.",
    "Tolong jangan hanya ditambal sementara, karena bulan depan pasti rusak lagi.",
    "Angkot dan bus sekolah terpaksa memutar lewat gang sempit.",
    "Kalau bisa dikabari kapan petugas datang supaya warga bisa membantu.",
    "Air sumur beberapa rumah jadi keruh sejak masalah ini muncul.",
    "Anak saya sempat demam dan batuk, dokter puskesmas bilang mungkin karena lingkungan.",
    "Sudah ada spanduk protes dari pemuda setempat tapi belum ada tanggapan.",
    "Lokasinya persis di jalur evakuasi tsunami, jadi sangat penting untuk segera dibereskan.",
    "Saya lampirkan juga keterangan dari ketua RW {n} kalau dibutuhkan.",
    "Pemilik toko di depan lokasi sudah memasang tanda peringatan seadanya dari kardus.",
    "Kemarin sore hujan {n} jam tanpa henti dan semuanya jadi kacau.",
];
const REQUESTS: &[&str] = &[
    "Mohon segera ditindaklanjuti, terima kasih.",
    "Besar harapan kami agar dinas terkait cepat bertindak.",
    "Tolong diperhatikan pak, kasihan warga.",
    "Kami tunggu kabar baiknya, terima kasih banyak.",
    "Mohon bantuan dan solusinya dari pemerintah kota.",
];

/// One report: who, where and what.
#[derive(Clone, Debug)]
pub struct Report {
    pub name: String,
    /// Indonesian mobile number without the plus: 628...
    pub phone: String,
    pub text: String,
    pub title: String,
    pub address: String,
    /// A pin for about half of the web-form reports.
    pub pin: Option<(f64, f64)>,
    /// Whether it re-reports an earlier problem and place.
    pub rereport: bool,
}

struct Place {
    kelurahan: String,
    kecamatan: String,
    street: &'static str,
    rt: u32,
    rw: u32,
    landmark: &'static str,
    pin: (f64, f64),
}

pub struct Texts {
    problems: Vec<String>,
    kelurahan: Vec<(String, String)>,
    rng: StdRng,
    /// Recent (problem index, place) to re-report from.
    recent: Vec<(usize, Place)>,
    n: u64,
}

impl Texts {
    /// Reads the sample problems and the kelurahan list from the repository.
    pub fn new(root: &Path, seed: u64) -> Texts {
        let sample =
            std::fs::read_to_string(root.join("tests/data/complaints-padang-sample.jsonl"))
                .expect("complaint sample");
        let labelled = sample
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| {
                Some((
                    v["agency"].as_str()?.to_string(),
                    v["text"].as_str()?.to_string(),
                ))
            })
            .collect::<Vec<_>>();
        let problems = problems(&labelled);
        let areas = std::fs::read_to_string(root.join("config/areas/padang-kelurahan.csv"))
            .expect("kelurahan list");
        let kelurahan = areas
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("code,"))
            .filter_map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f.len() == 4).then(|| (f[3].to_string(), f[2].to_string()))
            })
            .collect::<Vec<_>>();
        assert!(problems.len() > 10 && kelurahan.len() > 50);
        Texts {
            problems,
            kelurahan,
            rng: StdRng::seed_from_u64(seed),
            recent: Vec::new(),
            n: seed * 10_000_000,
        }
    }

    fn place(&mut self) -> Place {
        let (kelurahan, kecamatan) = self.kelurahan.choose(&mut self.rng).unwrap().clone();
        Place {
            kelurahan,
            kecamatan,
            street: STREETS.choose(&mut self.rng).unwrap(),
            rt: self.rng.random_range(1..12),
            rw: self.rng.random_range(1..8),
            landmark: LANDMARKS.choose(&mut self.rng).unwrap(),
            // Kota Padang's inhabited area.
            pin: (
                self.rng.random_range(-0.99..-0.78),
                self.rng.random_range(100.33..100.46),
            ),
        }
    }

    fn fill(&mut self, s: &str) -> String {
        s.replace("{n}", &self.rng.random_range(2..9).to_string())
            .replace("{h}", &self.rng.random_range(6..11).to_string())
    }

    /// The next report, every one from another citizen.
    pub fn next(&mut self, pinned: bool) -> Report {
        self.n += 1;
        let rereport = !self.recent.is_empty() && self.rng.random_range(0..100) < REREPORT_PERCENT;
        let (problem, place) = if rereport {
            let i = self.rng.random_range(0..self.recent.len());
            let (p, pl) = &self.recent[i];
            let near = (pl.pin.0 + 0.0003, pl.pin.1 - 0.0002);
            (
                *p,
                Place {
                    kelurahan: pl.kelurahan.clone(),
                    kecamatan: pl.kecamatan.clone(),
                    pin: near,
                    ..*pl
                },
            )
        } else {
            (self.rng.random_range(0..self.problems.len()), self.place())
        };
        let name = format!(
            "{} {}",
            FIRST.choose(&mut self.rng).unwrap(),
            LAST.choose(&mut self.rng).unwrap()
        );
        let phone = format!("628{:010}", 1_200_000_000 + self.n);
        let mut text = String::new();
        text.push_str(GREETINGS.choose(&mut self.rng).unwrap());
        let what = self.problems[problem].trim_end_matches('.').to_string();
        let opening = match self.rng.random_range(0..5) {
            0 => format!(" Saya {name}, warga {} RT {:02}/RW {:02}, Kelurahan {}, Kecamatan {}. Di dekat {} ada masalah: {what}.",
                place.street, place.rt, place.rw, place.kelurahan, place.kecamatan, place.landmark),
            1 => format!(" {what}. Lokasinya di {} dekat {}, kel. {} kec. {}.", place.street, place.landmark, place.kelurahan, place.kecamatan),
            2 => format!(" Kami warga RW {:02} kelurahan {} mau melaporkan: {what}, tepatnya di {} sebelah {}.",
                place.rw, place.kelurahan, place.street, place.landmark),
            3 => format!(" Lapor, di {} ({}, {}) {what}.", place.street, place.kelurahan, place.kecamatan),
            _ => format!(" Ini {name} dari {}. {what}. Tempatnya tidak jauh dari {} di {}.", place.kelurahan, place.landmark, place.street),
        };
        text.push_str(&opening);
        let details = self.rng.random_range(7..11);
        for d in DETAILS.choose_multiple(&mut self.rng, details) {
            text.push(' ');
            let filled = self.fill(d);
            text.push_str(&filled);
        }
        text.push(' ');
        text.push_str(REQUESTS.choose(&mut self.rng).unwrap());
        text.push_str(&format!(" Kontak saya {}.", phone));
        if !rereport {
            self.recent.push((problem, place_copy(&place)));
            if self.recent.len() > 200 {
                self.recent.remove(0);
            }
        }
        let title: String = self.problems[problem].chars().take(60).collect();
        Report {
            address: format!(
                "{}, RT {:02}/RW {:02}, {}",
                place.street, place.rt, place.rw, place.kelurahan
            ),
            pin: pinned.then_some(place.pin),
            title,
            name,
            phone,
            text: text.trim().to_string(),
            rereport,
        }
    }
}

/// Problems: each sample text, and each sample's opening clause joined
/// with a later clause of another text for the same agency ("jalan
/// berlubang" with "airnya meluap ke jalan setiap hujan").
fn problems(labelled: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = labelled.iter().map(|(_, t)| t.clone()).collect();
    for (agency, text) in labelled {
        let head = text.split(", ").next().unwrap_or(text);
        for (other_agency, other) in labelled {
            if other_agency == agency && other != text {
                for tail in other.split(", ").skip(1) {
                    out.push(format!("{head}, {tail}"));
                }
            }
        }
    }
    out
}

fn place_copy(p: &Place) -> Place {
    Place {
        kelurahan: p.kelurahan.clone(),
        kecamatan: p.kecamatan.clone(),
        ..*p
    }
}
