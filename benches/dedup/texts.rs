//! Synthetic complaint texts for the duplicate lookup benchmark, made the
//! way citizens write them: a problem (one of 36 kinds, each said in two
//! to four ways), where (a street from about 900, sometimes a landmark
//! with a number, one of Padang's 104 kelurahan), since when, and three to
//! nine detail words drawn from a 20,000-word vocabulary with a Zipf skew;
//! sometimes a greeting and a closing. Texts about the same kind of
//! problem share their wording, so common phrases fill large buckets as
//! they do in a real city, while place and detail keep most texts apart.
//! A near-duplicate keeps the problem and place, drops or reorders some
//! detail and may change the greeting.

pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }

    /// Falling linearly with rank over `0..n`: the first twice as likely
    /// as the average.
    fn skewed(&mut self, n: usize) -> usize {
        self.below(n).min(self.below(n))
    }

    /// Zipf-like (probability about 1/rank) over `0..n`.
    fn zipf(&mut self, n: usize) -> usize {
        let u = self.below(1 << 30) as f64 / (1u64 << 30) as f64;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

#[rustfmt::skip]
const PROBLEMS: &[&[&str]] = &[
    &["lampu jalan mati", "lampu penerangan jalan padam", "PJU mati total", "lampu jalan berkedip kedip"],
    &["jalan berlubang", "aspal jalan rusak parah", "jalan rusak dan berlubang besar"],
    &["sampah menumpuk tidak diangkut", "tumpukan sampah berserakan", "bak sampah penuh meluber ke jalan"],
    &["banjir setinggi lutut setiap hujan", "genangan air tidak surut", "air meluap masuk rumah warga"],
    &["air PDAM tidak mengalir", "air PDAM keruh dan berbau", "pipa PDAM bocor"],
    &["drainase tersumbat", "selokan mampet dan bau", "gorong gorong tersumbat sampah"],
    &["pohon tumbang menutup jalan", "dahan pohon besar hampir patah", "pohon miring rawan tumbang"],
    &["kabel listrik menjuntai rendah", "tiang listrik miring", "kabel telepon putus melintang jalan"],
    &["parkir liar di bahu jalan", "juru parkir liar memungut tarif mahal"],
    &["pedagang kaki lima memakai trotoar", "lapak pedagang menutup jalan"],
    &["anjing liar berkeliaran", "banyak anjing liar menggigit warga"],
    &["jembatan rusak papannya lapuk", "jembatan retak dan goyang"],
    &["trotoar rusak dan berlubang", "trotoar dipakai parkir motor"],
    &["lampu lalu lintas mati", "lampu merah berkedip kuning terus"],
    &["pungutan liar oleh oknum", "dimintai uang tanpa kwitansi"],
    &["suara bising dari tempat hiburan malam", "bising knalpot racing tiap malam"],
    &["asap pembakaran sampah masuk rumah", "warga membakar sampah sembarangan"],
    &["nyamuk banyak mohon fogging", "kasus demam berdarah di lingkungan"],
    &["tanah longsor menutup jalan", "tebing rawan longsor"],
    &["pelayanan kantor kelurahan lambat", "petugas kelurahan tidak ada di tempat"],
    &["KTP elektronik belum jadi", "blanko KTP habis"],
    &["kartu BPJS tidak aktif", "ditolak rumah sakit walau punya BPJS"],
    &["sekolah memungut uang seragam", "pungutan komite sekolah memberatkan"],
    &["angkot ngetem sembarangan", "angkot menaikkan tarif"],
    &["macet parah di simpang", "kemacetan setiap jam pulang sekolah"],
    &["bangunan liar di sempadan sungai", "bangunan tanpa izin menutup saluran"],
    &["limbah pabrik mencemari sungai", "air sungai hitam dan berbau"],
    &["gas elpiji langka", "harga elpiji melambung"],
    &["bantuan sosial tidak tepat sasaran", "nama kami tidak terdaftar bantuan"],
    &["listrik sering padam", "pemadaman listrik bergilir tanpa pemberitahuan"],
    &["jaringan internet sekolah putus", "sinyal telepon hilang"],
    &["rumah warga retak akibat proyek", "getaran proyek merusak rumah"],
    &["taman kota kotor dan tidak terawat", "fasilitas taman rusak"],
    &["pantai kotor penuh sampah", "sampah kiriman di bibir pantai"],
    &["balap liar tiap malam minggu", "remaja balap liar di jalan"],
    &["pengemis dan anak jalanan di simpang", "manusia gerobak di pinggir jalan"],
];

#[rustfmt::skip]
const STREET_NAMES: &[&str] = &[
    "Sudirman", "Veteran", "Khatib Sulaiman", "Hamka", "Adinegoro", "Bypass", "Purus",
    "Diponegoro", "Ahmad Yani", "Gajah Mada", "Juanda", "Raden Saleh", "Proklamasi",
    "Sawahan", "Thamrin", "Pemuda", "Samudera", "Olo Ladang", "Belanti", "Siteba", "Ampang",
    "Lubuk Begalung", "Pasar Baru", "Limau Manis", "Dr Sutomo", "Agus Salim", "Hayam Wuruk",
    "Imam Bonjol", "Bagindo Aziz Chan", "Rasuna Said", "Pattimura", "Niaga", "Pondok",
    "Batang Arau", "Bundo Kanduang", "Kampung Nias", "Parak Gadang", "Andalas", "Kubu Marapalam",
    "Jati", "Simpang Haru", "Alai", "Air Tawar", "Tabing", "Lapai", "Kalumbuk", "Kuranji",
    "Pauh", "Koto Tangah", "Lubuk Buaya", "Dadok", "Tunggul Hitam", "Ulak Karang", "Gunung Pangilun",
    "Bandar Buat", "Indarung", "Teluk Bayur", "Bungus", "Mata Air", "Seberang Padang", "Anduring",
    "Kayu Kalek", "Sungai Sapih", "Korong Gadang", "Padang Besi", "Batu Gadang", "Ganting",
    "Marapalam", "Banuaran", "Gurun Laweh", "Kampung Jua", "Cengkeh", "Koto Baru", "Surau Gadang",
    "Tarandam", "Sawahan Dalam", "Ujung Gurun", "Rimbo Kaluang", "Berok", "Nipah", "Mato Aie",
    "Pasar Ambacang", "Anak Air", "Batipuh", "Binuang", "Kapalo Koto", "Cupak Tangah", "Piai",
    "Koto Lalang", "Balai Gadang", "Air Dingin", "Pasia Nan Tigo", "Parupuk", "Padang Sarai",
    "Belimbing", "Kurao", "Sungai Bangek", "Batang Kabung", "Tanjung Aur", "Lambung Bukit",
    "Gadut", "Limau Purut", "Sungai Lareh", "Kalawi", "Pampangan", "Banda Gadang", "Tanah Sirah",
    "Perumnas", "Wisma Indah", "Griya Prima", "Jondul", "Pegambiran", "Cendrawasih", "Merak",
    "Nuri", "Elang", "Kenari", "Rajawali", "Kutilang", "Garuda", "Cempaka", "Melati", "Mawar",
    "Anggrek", "Kenanga", "Dahlia", "Seroja", "Flamboyan",
];

#[rustfmt::skip]
const STREET_SUFFIXES: &[&str] = &["", "", "Raya", "II", "III", "IV", "Baru", "Dalam"];

#[rustfmt::skip]
const LANDMARKS: &[&str] = &[
    "depan masjid", "dekat pasar", "samping SD", "belakang kantor camat", "depan puskesmas",
    "dekat jembatan", "ujung gang", "seberang SMP", "depan musala", "dekat pos ronda",
    "samping SMA", "depan RT", "di gang", "dekat lapangan", "belakang sekolah",
];

#[rustfmt::skip]
const SINCE: &[&str] = &[
    "sudah {} hari", "sejak {} minggu", "dari kemarin", "sejak tadi malam", "sudah {} bulan",
    "sejak {} hari lalu", "berhari hari",
];

#[rustfmt::skip]
const GREETINGS: &[&str] = &[
    "", "", "", "selamat pagi pak,", "assalamualaikum,", "min,", "halo admin,", "siang bu,",
];

#[rustfmt::skip]
const CLOSINGS: &[&str] = &[
    "", "", "", "mohon segera ditindaklanjuti.", "terima kasih.", "tolong dicek pak.",
    "sudah lapor RT tapi belum ada tindakan.",
];

/// Common detail words; the rest of the vocabulary is made of syllables.
#[rustfmt::skip]
const COMMON: &[&str] = &[
    "warga", "anak", "motor", "mobil", "malam", "gelap", "bahaya", "rawan", "kecelakaan",
    "jatuh", "bau", "busuk", "hujan", "panas", "pagi", "sekolah", "orang", "tua", "jalan",
    "rumah", "lingkungan", "pengendara", "kendaraan", "kaki", "besar", "kecil", "banyak",
    "parah", "sering", "setiap", "hari", "dekat", "jauh", "sulit", "lewat", "terganggu",
];

#[rustfmt::skip]
const SYLLABLES: &[&str] = &[
    "ba", "da", "ka", "la", "ma", "na", "pa", "ra", "sa", "ta", "ga", "ja", "bu", "du", "ku",
    "lu", "mu", "nu", "pu", "ru", "su", "tu", "bi", "di", "ki", "li", "mi", "ni", "pi", "ri",
];

pub const VOCABULARY: usize = 20_000;

fn detail_word(rng: &mut Rng) -> String {
    let rank = rng.zipf(VOCABULARY);
    if rank < COMMON.len() {
        return COMMON[rank].to_string();
    }
    let n = SYLLABLES.len();
    let mut r = rank;
    let mut word = String::new();
    for _ in 0..3 {
        word.push_str(SYLLABLES[r % n]);
        r /= n;
    }
    word.push_str(SYLLABLES[r % n]);
    word
}

/// One complaint as its parts, so a near-duplicate can re-say it.
#[derive(Clone)]
pub struct Complaint {
    greeting: &'static str,
    problem: &'static str,
    place: String,
    since: String,
    details: Vec<String>,
    closing: &'static str,
}

impl Complaint {
    pub fn new(rng: &mut Rng, kelurahan: &[String]) -> Complaint {
        let kind = PROBLEMS[rng.zipf(PROBLEMS.len())];
        let street = format!(
            "Jl. {} {}",
            STREET_NAMES[rng.skewed(STREET_NAMES.len())],
            rng.pick(STREET_SUFFIXES)
        );
        let mut place = street.trim().to_string();
        if rng.below(2) == 0 {
            place = format!("{place} {} {}", rng.pick(LANDMARKS), 1 + rng.below(40));
        }
        if rng.below(3) > 0 {
            place = format!(
                "{place} kelurahan {}",
                kelurahan[rng.below(kelurahan.len())]
            );
        }
        let since = rng
            .pick(SINCE)
            .replace("{}", &(1 + rng.below(12)).to_string());
        let details = (0..3 + rng.below(7)).map(|_| detail_word(rng)).collect();
        Complaint {
            greeting: rng.pick(GREETINGS),
            problem: rng.pick(kind),
            place,
            since,
            details,
            closing: rng.pick(CLOSINGS),
        }
    }

    /// The same problem at the same place, told again by someone else.
    pub fn retold(&self, rng: &mut Rng) -> Complaint {
        let mut again = self.clone();
        again.greeting = rng.pick(GREETINGS);
        again.closing = rng.pick(CLOSINGS);
        let keep = again.details.len() - again.details.len() / 3;
        again.details.truncate(keep);
        if rng.below(2) == 0 {
            again.details.reverse();
        }
        again
    }

    pub fn text(&self) -> String {
        format!(
            "{} {} di {} {}, {}. {}",
            self.greeting,
            self.problem,
            self.place,
            self.since,
            self.details.join(" "),
            self.closing
        )
    }
}

/// Padang's kelurahan names, from the area file the gateway itself reads.
pub fn kelurahan() -> Vec<String> {
    include_str!("../../config/areas/padang-kelurahan.csv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("code,"))
        .filter_map(|l| l.rsplit(',').next().map(str::to_string))
        .collect()
}
