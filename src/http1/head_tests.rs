use super::*;
use crate::test_rng::xorshift;
use crate::http1::body::{Body, parse_body};
use crate::http1::scan::all_scanners;

const LIMITS: Limits = Limits { max_head: 8192, max_target: 4096, max_body: 1 << 20 };

/// Parses with every scanner this CPU has, in one call and in pieces, checks that they all
/// agree, and returns the result.
fn parse<'a>(buf: &'a [u8], limits: &Limits) -> Head<'a> {
    static SCANNERS: std::sync::OnceLock<Vec<Scanner>> = std::sync::OnceLock::new();
    let scanners = SCANNERS.get_or_init(all_scanners);
    let first = parse_head(buf, Scanner::Scalar, limits);
    for &s in scanners {
        // The quick pass, where it answers, agrees with the parser.
        if let Some(q) = quick(buf, s, limits) {
            assert_eq!(Parser::new().advance(buf, s, limits), Head::Complete(q), "quick on {:?}", show(buf));
        }
        assert_eq!(parse_head(buf, s, limits), first, "scalar and {} disagree on {:?}", s.name(), show(buf));
        // Pieces of a size that depends on the input, and a byte at a time.
        let step = 1 + buf.len() % 7;
        assert_eq!(in_pieces(buf, step, s, limits), first, "{} in pieces of {step} on {:?}", s.name(), show(buf));
        assert_eq!(in_pieces(buf, 1, s, limits), first, "{} a byte at a time on {:?}", s.name(), show(buf));
    }
    first
}

/// The parser fed the buffer's prefixes `step` bytes longer each time, as the connection feeds
/// it, to the first answer that is not `Partial`. (The tests parse every prefix of their
/// inputs, so this compares the parser resumed at every point with the one-call parse.)
fn in_pieces<'a>(buf: &'a [u8], step: usize, scan: Scanner, limits: &Limits) -> Head<'a> {
    let mut seen = 0;
    let lead = match skip_empty_lines(buf, &mut seen) {
        Ok(n) => n,
        Err(e) => return Head::Error(e),
    };
    if buf.get(lead).is_none_or(|&b| b == b'\r') {
        return Head::Partial;
    }
    let mut parser = Parser::new();
    let mut k = lead;
    loop {
        k = (k + step).min(buf.len());
        let r = parser.advance(&buf[lead..k], scan, limits);
        let r = match r {
            Head::Complete(req) => Head::Complete(Request { head_len: req.head_len + lead, ..req }),
            other => other,
        };
        if r != Head::Partial || k == buf.len() {
            return r;
        }
    }
}

fn show(buf: &[u8]) -> String {
    buf.escape_ascii().to_string()
}

fn complete<'a>(buf: &'a [u8]) -> Request<'a> {
    match parse(buf, &LIMITS) {
        Head::Complete(r) => r,
        other => panic!("{:?}: {other:?}", show(buf)),
    }
}

/// The whole buffer is Complete; every shorter prefix is Partial; bytes appended after the
/// head change nothing.
fn check_valid<'a>(buf: &'a [u8], limits: &Limits) -> Request<'a> {
    let Head::Complete(req) = parse(buf, limits) else {
        panic!("{:?}: {:?}", show(buf), parse(buf, limits));
    };
    for k in 0..req.head_len {
        assert_eq!(parse(&buf[..k], limits), Head::Partial, "{:?} cut at {k}", show(buf));
    }
    let mut more = buf[..req.head_len].to_vec();
    more.extend_from_slice(b"\x00junk\r\n\r\n");
    let Head::Complete(again) = parse(&more, limits) else { panic!("{:?} + junk", show(buf)) };
    assert_eq!(again.head_len, req.head_len);
    assert_eq!((again.target, again.path, again.query), (req.target, req.path, req.query));
    assert_eq!((again.method, again.version, again.framing, again.keep_alive),
        (req.method, req.version, req.framing, req.keep_alive));
    req
}

/// Every prefix shorter than `proof` is Partial; `proof` bytes and more give `want`.
fn check_error(full: &[u8], proof: usize, want: Error, limits: &Limits) {
    for k in 0..=full.len() {
        let expect = if k < proof { Head::Partial } else { Head::Error(want) };
        assert_eq!(parse(&full[..k], limits), expect, "{:?} cut at {k} (proof at {proof})",
            show(full));
    }
}

// Arena request templates, copied byte for byte from /work/shared/arena-requests.
/// `get.raw` from the arena request set (60 bytes).
const GET: &[u8] = b"GET /baseline11?a=13&b=42 HTTP/1.1\r\n\
Host: localhost:8080\r\n\
\r\n";

/// `noise-badcl.raw` from the arena request set (72 bytes).
const NOISE_BADCL: &[u8] = b"POST /baseline11 HTTP/1.1\r\n\
Host: localhost:8080\r\n\
Content-Length: 999\r\n\
\r\n";

/// `noise-badheader.raw` from the arena request set (175 bytes).
const NOISE_BADHEADER: &[u8] = b"GET /baseline11?a=1&b=1 HTTP/1.1\r\n\
Host: localhost:8080\r\n\
X-Junk: \xb9\x11\xa5\xead-\xc0 \xd4\xed\xa5r\x1c_\xde\x92\x80\r\xd8Q\xadd\xf8y\xdf\x040\xb0.\
\xe4\xbc\x01\xc3S~\x80\x89\xe1\xfa\x03\xcd@f\x0c\xee\xd6\xc9\xb0\x97kN\xa6-\xbf\xbd\xc5R\x8b\
\xe6EI\x0b\xfd\x10\r\n\
Content-Type: text/\x00plain\r\n\
X-Bad\r\n\
: value\r\n\
\r\n";

/// `noise-badpath.raw` from the arena request set (64 bytes).
const NOISE_BADPATH: &[u8] = b"GET /this/path/does/not/exist HTTP/1.1\r\n\
Host: localhost:8080\r\n\
\r\n";

/// `noise-bare-cr.raw` from the arena request set (57 bytes).
const NOISE_BARE_CR: &[u8] = b"GET /baseline11?a=1&b=1 HTTP/1.1\rHost: localhost:8080\r\n\
\r\n";

/// `noise-binary.raw` from the arena request set (256 bytes).
const NOISE_BINARY: &[u8] = b"\x8ae\x11\x7fK?\x1b\xc2\x11\xee\x0c\x90\xbc\xc2v^\xcb\x1b1\xcd{O[b\xb5\xd9\x81\xe5\x17m\xb7\xb8\
n\x19G\xdb\xf0}\x8dV\xfc\xc0#\xdc7t\xbcJ,B~\xf8lEBP~\xfa\x11\x1f\x14\xf6R]\x1fy\x0e\xb4|D!\xc9\
\x17\xce\xe3\xb5\x9d\x8b\x0e\x12A\xf3\x16)O\xe2\xe1\x05\x045v\x12\xd3\x9a\xc2~[\xa4\x0f\xbb\xb3\
C\xba\xe1.\xae!TM!}f\xf0\xad\xab\x80eG}@\xf2\xbb\xcb\tyTK\xe6%\xd6\x81\xfc:\x1fI\xb4\n\
\x89\xc2\xbeM\xf6cl\xaa\x89mK\x04\xe2\x08e\xafb\xdd\xc8N\xf4\xb8\x96\x19\x8e\xf3\xfa\x82\x9a\
\xa3r\xe9\x00I>v\x93G\xae\xbf\x17 \xcb\xb2\x11\xa2\x05\xb6\x02\xfd\x06\x05\xa15N\xff\x1d\x1a\
\x16\xf8\x1f^6+\xc1\x81A\xdb5[\xda\x07/o\xac\x9a\xd7\x00\xc4T%\xee8\x88I\x99\xb5P?gh\xd5\xda\
\tP9\xee\xe8\xba\xa0\x0e\x8c\xa3\xc1\xd7 \xce\xc2/\\n\xe6\xe7A\xc5H\x91(W";

/// `noise-double-crlf.raw` from the arena request set (89 bytes).
const NOISE_DOUBLE_CRLF: &[u8] = b"GET /baseline11?a=1&b=1 HTTP/1.1\r\n\
Host: localhost:8080\r\n\
\r\n\
X-After: should-not-be-here\r\n\
\r\n";

/// `noise-empty-header.raw` from the arena request set (71 bytes).
const NOISE_EMPTY_HEADER: &[u8] = b"GET /baseline11?a=1&b=1 HTTP/1.1\r\n\
Host: localhost:8080\r\n\
:\r\n\
X-Empty:\r\n\
\r\n";

/// `noise-huge-header.raw` from the arena request set (8260 bytes).
const NOISE_HUGE_HEADER: &[u8] = b"GET /baseline11?a=1&b=1 HTTP/1.1\r\n\
Host: localhost:8080\r\n\
X-Huge: HCE+uSrP7N8sWQ/hLJT5MqB/RmI+FCTkzs+4CT6J3HarMGVPPLBtLgXtQFi+MSs3KV4g8J1I4Q9pa2jQvue1\
SYfgoTov48cY/GDjnDeUuBsk39XEfW9FctRNdu4zzSTdtRwX0/jXD14PedcEqlKxVy6/QvS7wBSX0NWoikqC4QavJCvQ\
CFqflHMqJXb0E91vMVZP1A9FQgKlklABU3spYyvc14vmz2d/E4hIT/FnQZt6hSQvRO4+E/1MfbbLTbnq0JY30E5ZXlsr\
tloh0/pDjQQNhXDrK+wnqdeWPCWF3iVRBPrqYqrXk+naDSmBiEuDkkE5JrGffQjjfQ/0P4lMyua3MXj8xMVQyxCn4wSP\
KoBEk41VXlTXiLDBWdS4RSDQTCk7YXawxwBQWd2kjl/d2ZMwg+d/Z2W8vT43jzSVNW1gNn1/O6EYGKG0Bx2dSdI/1h1h\
0AYt7wuXPRoVrOWTm6+GrlDg0C/jrcJPFEMRcT8VJAb3+HyViaWXtlF/3NmcFZgwAI1dHyft1KZMhrkXq6lz7grYK7Hu\
V+9Hilj7vkruMgRDvvYQc4sOBmueWBe3EdNEhS68nxOnaZs8LJwS/ko5bkx+4SJ6mdcYLtYrayERnHXge/CnqHwFS8Fo\
wnkZxl9f0cgQz1pUlEITkypPuGIeCT3QVf7Iz+eGTELtB9QsukhO4zMNfy2kI17jdzU6XLQzpMKuGDR0NzTb56UXSUib\
d5Ocs61YiZsLR1EyJaESq4vSr2x1oNtW26Tg7mfZ03LfNrHj2dpMPxqEGo7Dg6IYpFa/s6ht/0f2ZsYsbwuk0WHhYc4d\
ZeSbNjkxQHiJK3i+2vf8T+heb71r7fwZZevNcRZD9a0s+H2ceeFTbJE+g0i/336lScZ/Spw0phDjhSrSW/nFnQ5Ma9uR\
fdzbnsYiz6cY47u41wNAnLA3VJQtzEyBDFMuYdn13PlknQP6zAhCYGXPUaJZFYoW09XKD+ao3KmbPqIG9+cAeJ7aS/Gd\
ryyg41QFK1lFf/OBmYzlY/wwVU7h4OgbC1g8UP8zXOLC3Hvo5y7BRpBp2k2ZZcDlC+Ywv6KkSgKkSInMAf1oHGKGA86w\
NM4jcDJl+3TbTOzyOJHRYBhOtl+z9Tc1+XtfWmRbHkL0hBszu9POP7oCOzZbUv5BGD/SrBfcx1VAfAMuKlRcHGuZ1fM3\
yuKhVqeTDUTBYqbWDzJ45fjNZbalZgqBervMfxme1ReAd1rd245wZSVbIEgUVGky7ovZvJ+72bEKbVMWAUugkSnD2x8U\
6bx5spRFgi81womuTb56+OLNZStQsUf+KtOuAd2BoOcnr8q9Vb87JRG8AvbWKLtrW6ckX/WkiDl5Qkr1KUynmtqdTGeJ\
flknk/JdxEy8amnYoRVJlz7NbzklefJW0mJy+w+ZjEiUsQ0cDrcVOt2xnkYu4xa29kYcYGquZyqAVRajptOhr17afZ7A\
w3ZNlnMJu8YlsHI4uEAPp6qv5Mmwwrd+xMiSSyEt7pWRutX+oOKCO8QG3vEegw+h0njO1TnViXfZ1IeiIrEuR8mwnkFa\
TUdV3sARPZbkF3xooMEziKSOuBOxBBLsDcvYdHnTam3DLISJIPeU+H4uRmROYHQruVuxyRSS0+o8K2+RFw8nXKHqFtL2\
ZE6Hmhmy4EHCwB/k/NCxapsmSpNISBHlSRZB7THjhWjNEDSEVaLwlhPINbcdOK1fwhNucVu1fGaUQ/bb/yxaSTIX5L5H\
NOrSj6MILM7QHsszTjUnB0NsNUFr7VWXKTRVriMJWxIIvNri1WKaOtIVtViJe/uL6SMcg58CEwBd4+TUz2U300cgoidW\
oQCuNZ/qrz+MtPZAUckFrRVxMHLB3TKJrU2qARfnNwbhziGnW5y2IoObjay2tcuj5FTpAIyXPtSGANf8+iYWMVdjRNAc\
pTiOg1sepRzwOxPdVKeNc9A+Gjk81FXxHa+plWGr5KMlOJfTeuvd0nRLKlmQMqQlcly6T6AtR5ZeQ/tlQmIes82KGhfz\
nMma9FNhJpEdc/j3iPOalrmWBjnZdwJ6TaOC3S0/GbNEfqMp5K4b96cWWYbjpEdf3AZ+uBDj5CJRUvwUlQ2fBp9YtC8W\
S1xNDzhmeNjNy3jQy31SW8vdkPrWX3yJ5Ktd4laGEImuwtN/IsTUoVmEwtLDscJOxMveGPilvmx1bQTytlnzVZvjDZyc\
s7/QXjzZzzBpw6ZR/fxKan78jd6+l637V1fcoLPK3GO1Me8whgGd/ro2xxYhIM4DvPgVyX4fh3G7mZCz/s9pUbo1iyYQ\
ZuE8RSOF8NfAv//WCmUZCYmpSEbwb+Y7w+htX6zF3XTRD1MKGRU6fRDAcgUy44YkI6efSTy7GQ2hsa6n4bEAS1SaFiom\
6lxL05Ry3kHRmYBH3fvz9O29st+YVjYtYlYJsUqZjpLQ+pwOJvQmMB+GMKixVo88hBfdU0EpvZiyQ4wiOJe4N5+m+fgY\
sk7fDflOgmoaBmeRxL4EubWEgDgRhhAvBEYw+wRzPOmEtnKlw/SROQP3Eyg/EVxBGVnDhWqNIgvcwDnG7tGt/Za+oy+6\
XWZnJ9W9S7pzaEVuWBEXyiaPjIEhxlB6fg+UZajVMw/iR3nIzK9pihDdGy4pzb7sATCpcBHdoIDUuiv409jb9xR+Et/Z\
4abgV/s1c/z4M9wixw1AbsOSVGG5yPvKdXV+gNGTaDUr8QoWr6O19Rb40aaLH7Vt0M46UVxCdtcNcKjFWcUpG7xmJjE3\
baRHyT31OEcbiW0tbgstHBKhwMAa4weJA1C7/0NxsNVVlyWp5DZewkQcDNzCloeVr64Nk4NcTIJzc5oM+If0u3vQTq5w\
4TbD/Ont19mZOrV2aWykNYpzya+rBjqT9q+54YyMi0AfGKoLANJFtlvLxG03ITBx5koQFlxLZDzbRX4Cs5vsN+SIHuM5\
H28p28Kvq4wAXQZKKsCPWAQZdYrh8TYhaVtu4wDu8K1MZKbbwxw3ohfnhTEeGFW0wYEYnc3WN1GbxxBZSO4VpzvknVfl\
bef3GPRckWHvEwC1x8PiKh6VB2F6/NMCfX14hgcMN1ZAdcTfbQcwISJXNAV/G885aRHxRysK5IWr++fJCcYXkDm6UKTX\
8C4NcLLjckkvtPDX+R6D3nH5O+d5hJeE/OWzhMRIlT/acPQsrZFXiIpZrkQFDWMOMz/PCXY6+ex038FYIuGWANIFMR+w\
vJSuFrqqMvI5kuz36SjwICyW+rnRCJFtxUi5Sfwr39igugdePEWhV2VeqFjGiSTT/egpom8R1Q0n0qJmi3ODBoYeKREt\
Ltv6o+71XOVafHiOdPH/Gpq4cRnv3eS3OpjIf13uAU71KDTRqt26DQOi/DZIT8VrUgYl8Za2Ns6inzX/EJeSi7VtrqJ4\
cuhWIWlQYn+uxMM6Rb7ywM7Odw801cyEqj2zTls0HQnzcO+Dhnu6ccGqvtqgSmKJtuN5Q45rjP4mrP/rL4718UJzSxoG\
A0MmPAxuRSvtMC4/DgniDINiupXQ4ReuIk/jyjEC9XeIsNKqe3ebLBip1ORUknkrtiTdHTn3bxApIOmVO4U4TiTKm5Xh\
xNQOt+61OZVkTZEwiC1M5Q9mNK5q6nCu1Sdn6fdtp527NogGgqT6vyOqpaYOL958PbfLDfJgzxMR1tvyonDpblZyiDH/\
UMFtNetAQ004UEaoa+J22FqspFfE/fjdlASZqxXGu7p/T2loKS2kuskH1ii61Yh/Q59C+Isecv2l0Bs7a2An2DJHO+pF\
DO3MOaiD7G80CCi+u73eqoY4mxSLKvriyhryzznYNAdWM7yoEthjFaDZKwZqGit7P2J+sOiShyGlWko/a4GuCmyBn0tv\
Ru4s73RAz4XfMm5gSB53EkpQ8qwiuTa1FpXdJSC4g3dTtWReBVbyoTM3Wais7tqKHdL81adFOHos16HD+gbvNo9F5hXi\
8l72AvRZSSbyazI3XG83WqokxcTPOgYsofKZD/mcBdJtsDh0mT0JuAIBFI2+ww/iJ3EcoN5ZBumjB0AAte/S0ErAaSCI\
2+4opBQqQVOMaibkXwzT2Ox4P98O9BqDnPyIZdAZUM6OBbLXvHFoXXHDY3aPM2M2EnA3MoT2ljX/PDxPO9tR++mnTy0g\
TQi1dKFfd2X+TAn8E0LnFWTUG+YWRrJx/b2qq8oVe+l7pW5AgF/kR+xh7wL+F8QJrNGhb/kFOaIvFMlCNmEKrmkRzISA\
rbaAZe6oXu/6n+sTzHPcZuwwhALxhv08DgvDojEQQ3G7Q4EnFcA0XehEwdhFWbdQRqxDmo7rFCxjUIR5nEP9hAmkAofy\
glQXvYNOF1eiunxE9O/nMd8P2+sMtVp2L3p9HSQnTaek4V1t45on0BymCS4Ejl7Ls7o+U6HCUEPmysEkPQ44CG5qvBTA\
++j1cH7+AmBOdOo2y7I5EKcQaP7xoDs1JdYimfuFReSmUAHba0yT0xC0ZXHcPKRXZFfEXuhfJ+ihHC5lbzpCfs+rbP7B\
qrh9JUHW7crANks/6RLLjdiEMg/vWXcigTIhmFFakn9FF11pkqn4pTj3zE6Tg4uRTCsdmAhWbKeiLHn2UkeB23oCKpWe\
QPhLeI1ps3EP7UvLIvZF99qBPYyj9mw0oOf0KUsMAp5yM9zLHGnlXTWF3JAZy8xj+AQKz6gVuQbYnmnCgPCqwwj1ndL2\
nnfRw730JUff40iq+lri96/VO5rfo0aeO8DfdeCmnRm8e/P1mBDKwxxH+TeWwGo8wWcbnC24YGmAIYy0a23KRRzkHo3a\
aSEDhNKXp0Vf4/Vup/aqn5GeHFTjteBF7AT+uddtd4q+W0yC7P+jZhRqC9BGOseTgUQKk0s53F0ED+Vf22dijmV+kr/w\
W1aREpIoXAlQlxrBl4UHCqG7+O74ITV2D/ti1PIK8VSRupthdxqAPSs/AWjRe53fY4/OYuJ9Td+igeAyZVJaM5hDUo2y\
ye9WvbDCcpk9gSICk3qvpkJFQv14ZDFc/GF2n/Iur6dPqlbOwfs2NOAWYtabwHGAq7ksyj166Hy8+Xn1RCviN5jNNA8b\
zjA2kGzdr+0sBounO0Eiwo55PVPEE7XJ7lMvym3DDZ2UElw0/Ibvi/4VWZ31YP9kAfJLqk3ZWqFeCa6/8bdgAqFjc0X8\
2EOaoUyJ3UFj6pGCpRQEaqFlaFHsyPrh00c23Jheq0sjrSoJZKZJUHps0l7b4lpRSjMfQ94LHHc2gH3yfZp5O0zKl8dW\
A6rVOI8Svaxaiuf9sRa8W62MRvtspsqBf7jRWMLqpGGs+52u09h8HkpQazIcKEmrHPdfG1/ZRhZl8qBjj820GwiU/6tH\
oFoC7jzBZoORVB4ftEs/qCwngCfqW3srQUElU75JPZzrV9wwuBlBSmPppee9U7Sd/InGrkuMt2vHOvYY14F57wc0FCar\
q8c6aA7LX54iV4gRHd8UZmtUMlBoM5x871JqpCq02uj5QYzVz1A5MrpAYnc8qQs1ryC0oqaBeV2rGNOQtnPOTy89Ehim\
pVhYJjQSHvLMbNR95MN95CnnV9K3A3ryujUHpcU2bSfmDSs1ZYvoGKMt0xEkhsJSc9V8BA+Y66efSDfpt4xbmp2KYR1H\
v74BS933NaN4kGjlUc2JrbJxFFy/MHiiiMIFk4xEvhHm9IXAfnrrc0p5oVWbDTq5uOE2cIOlBaHQE0w8aYuLJAElwrPp\
uVag/5BQk6n3dMM+razV6vy+o2iy65R8ZCAP1zrCXP4LOL0YFFlPJacGN4vb38iNrwov1ga71MCCQKMXXfVtdwRrzx5Q\
ZYrPGDA1dyP/CYw9QkzLDkpnuIUJeIu0me53t1226SrFhupLXH3PuKAfXQBMs8Sjs/S6MPy1aBVjdyqcw9iqOVgxBTB8\
v68D5Uh0mNGQkejwPTtxvOE+1EBPD810Hc5TDX4Zbxs+4Eu+Jtu5gybkxgiyIRAvAWvc+dSptM2I5wtHnEFVTmDbmrtR\
fJyXE/o23GPtTsfFQ1j5RO1Q2vgIGHJkYsIeGwLWCu5z+wP3cJhO0TKE+Fd4wcnOUsDgWVdpM7PQ718jGP8CPxMpJOGl\
u/EuL/bZhCJyyCQK9NO/s6q7055WYzqVqVYcIjOjowCmyVN7fD6/4azcczHFwNUdvp72QalHkmkqFOof2KjYDE6X3zop\
zW83PS+IKR7YtlZT3rUgQenwRABZOaw2IUUKtdoqyUrkGtnXPcQARxyBzQTmu5e+Yn4/2g7fkA2DCFMrzygJDU0DAy4q\
pDH/Ao93BZl9vlUUvzueOjw1dxRLzvEUSlLzBWwxUVOJjGkFKWjsK1covEdRQ8j1KJHK7M85LWSBrNgYdvS4NMOkSmCo\
NR92rxomlJEMsm8U5fIVLtQ4JsyrWAh9s9ynRygkrq4BZk/BSGfc1WAAZTQWOcc9J8mdcIRctJmfvQ/XgL0pmGXxFQNc\
JGkjxl2pkTUc4tpak5OqvLkcrFBrH9uSiJ8FlhM1djfXANAaN0brbmkY/zqTAzCwWrZlnyvLx6aNaNtKEqk5183qZAGA\
Mk/YHcGGtIxGbE39XjAjol0jsi/DuRDjT/8UGNb8VC4AmL83ThJDElTZAekKqaqdJVJrn3G1/vN6biP5bI/EaW4I0T5H\
AYE0EO5Z/P9kM2L79S3X8N1LCpC9cpz6ABHOLRV3r/s++rnMoZ4qkdv82ZfWhCTKy3zFfdhMUsPCsgGyCcEWsoVwQ0tI\
b8J3pRK2fbnctUphDc8GfmO/UsieIFvUKQUSMHhEWCiGYoISzHHI+jGOh2qpbtQqypN8OVrgFebHGbCac1V6xgbpLV5v\
IEwufTrhrXZimKXYECwWHlZq18r6o1QvW8GHXTJ6S5GrFQS1ef2RPbeVHgUI7tI7c0VBEPQJyOPf5GPrBzwZr/UUkayh\
JXdGn1xBN0kqUriqdpgbjz9uqTxNsDBdmFrRBS+bIQk1RMxc0FORHLpj2TkQ8zuvvOl4ITWDvR3UR7gevfX/KBBz/D9G\
n2jfPccsAn4fmE28OhN1Gxv36WT0+9sqv+/sKY8mouAZnJTnmRCPbQUT4t+phjEHRhW6B8mI70MN6uMXDDC0Fj6Zx4mH\
VlvJnrT04H2+LY24DL1O2nrqUSHaBfPcErWVeNyYAvNr2ooFvIOCtuQS88cTWK0E63xi20k1yzQRarTMvtlfjLiTdWeL\
jpmGJ50NQB4n4dtlSVg5kQ+iQ02x7nRmnuARxCxMiGOT3mL43XxPxVt4nPa+bo+qeYYx1iEuziB24Fi1J1iwmZjFkCG5\
eIglUVm01snCXH04rzW510Kcdx5L4DAg9U5uUmJfolbaV+u90RuHkkVJ1uw+Q9muEc0wxqHITzfJI10NXXYbgra2KHpb\
KiQDx7yuPdOzBfvSaxkQvsvGekjPcZhmGsdN8nbLKsVKvXL1bJyBLGRh8ovhvnYgoBA2PgNuYvQcKZOWGfQeYKcgqUC/\
GjR0S+6eYayK1JJZ/u11JFKnvQv3f7u/DKSx2/u/abRTKa1Meo8zIo0kYm8GmlkiKnZbYmuYRd+IZf1H7HAAVLsfybX+\
u8MXaYpg2C++uAfaWHrpOOkSLyxvojs2UAy7iIHrxizQwTSEYcS9eXWGhTajZAcd0qsxI9xnOwjrA+im8GviZGUaZRzn\
eFhbGK9fguKKO4xdFZ1wZLg4Tpoq6XmtG+dDTsU2VssXW0k6BmONlL4CPi3ih9lwaDygULzt66HpMew+LoiTBPTQb6Tc\
rUQdG4eQWYuadXK8ZL6Obh8pbNOLW8JU9nLMoW1kitNAmPHTapl7oUGPlvotT8L7iOsh6LuphJ4Q6825sZOLK4nhHqZo\
NhMHH1pZGhjea5+uzitPlO8zfNwkpZYUaDU1jRfqJvRdcB5rqiSLn/yK2OuzQ16aY1s69eZ2Y+EbCJFBOnj8571efOgP\
Rd/oTtlIGyUBM9kuANBLuYXcKB/GiSzp7OKXj2amwiUmAho7hj7sXpHQwX9f38wCURbYxkxz6NXm6Cp4wK6Zda4phDqk\
WS5SjumuvQ6lnsHEkxeo5PR0S0mTcE3Gh27DFapyZoEkWm4xKXzn0J197yny/Xu45Q9aNBDqxUJdSfEs67zJwqTFA/cQ\
PS/aoHaP7lY8R9s5ye9ixd4maKjS5GXn9wYFRULYTa5PohGdQCxCyzgprrBRVINQ/QRDGti+xQvthyCD0N4bK5jigXDq\
5KJNkzgs3XKM\r\n\
\r\n";

/// `noise-null-byte.raw` from the arena request set (59 bytes).
const NOISE_NULL_BYTE: &[u8] = b"GET /base\x00line11?a=1&b=1 HTTP/1.1\r\n\
Host: localhost:8080\r\n\
\r\n";

/// `noise-obs-fold.raw` from the arena request set (119 bytes).
const NOISE_OBS_FOLD: &[u8] = b"GET /baseline11?a=1&b=1 HTTP/1.1\r\n\
Host: localhost:8080\r\n\
X-Split: start\r\n\
\x20\tcontinued-value\r\n\
Content-Type: text/plain\r\n\
\r\n";

/// `pipeline.raw` from the arena request set (48 bytes).
const PIPELINE: &[u8] = b"GET /pipeline HTTP/1.1\r\n\
Host: localhost:8080\r\n\
\r\n";

/// `post_chunked.raw` from the arena request set (101 bytes).
const POST_CHUNKED: &[u8] = b"POST /baseline11?a=13&b=42 HTTP/1.1\r\n\
Host: localhost:8080\r\n\
Transfer-Encoding: chunked\r\n\
\r\n\
2\r\n\
20\r\n\
0\r\n\
\r\n";

/// `post_cl.raw` from the arena request set (82 bytes).
const POST_CL: &[u8] = b"POST /baseline11?a=13&b=42 HTTP/1.1\r\n\
Host: localhost:8080\r\n\
Content-Length: 2\r\n\
\r\n\
20";

/// `valid-get1.raw` from the arena request set (60 bytes).
const VALID_GET1: &[u8] = b"GET /baseline11?a=13&b=42 HTTP/1.1\r\n\
Host: localhost:8080\r\n\
\r\n";

/// `valid-post1.raw` from the arena request set (80 bytes).
const VALID_POST1: &[u8] = b"POST /baseline11?a=7&b=19 HTTP/1.1\r\n\
Host: localhost:8080\r\n\
Content-Length: 1\r\n\
\r\n\
5";


/// Where the head ends, found without the parser: the first CRLF CRLF.
fn first_blank_line(buf: &[u8]) -> usize {
    buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4
}

fn body_of(buf: &[u8], framing: Framing, limits: &Limits) -> (Body, Vec<u8>) {
    let mut data = Vec::new();
    let r = parse_body(buf, framing, limits, &mut |piece: &[u8]| data.extend_from_slice(piece));
    (r, data)
}

#[test]
fn arena_valid_requests() {
    use Framing::{Chunked, Length};
    use Method::{Get, Post};
    // (request, method, path, query, framing, body)
    type Row<'r> = (&'r [u8], Method, &'r [u8], &'r [u8], Framing, &'r [u8]);
    let table: &[Row] = &[
        (GET, Get, b"/baseline11", b"a=13&b=42", Framing::None, b""),
        (POST_CL, Post, b"/baseline11", b"a=13&b=42", Length(2), b"20"),
        (POST_CHUNKED, Post, b"/baseline11", b"a=13&b=42", Chunked, b"20"),
        (PIPELINE, Get, b"/pipeline", b"", Framing::None, b""),
        (VALID_GET1, Get, b"/baseline11", b"a=13&b=42", Framing::None, b""),
        (VALID_POST1, Post, b"/baseline11", b"a=7&b=19", Length(1), b"5"),
        (NOISE_BADPATH, Get, b"/this/path/does/not/exist", b"", Framing::None, b""),
        (NOISE_DOUBLE_CRLF, Get, b"/baseline11", b"a=1&b=1", Framing::None, b""),
    ];
    for &(buf, method, path, query, framing, body) in table {
        let req = check_valid(buf, &LIMITS);
        assert_eq!(req.head_len, first_blank_line(buf), "{:?}", show(buf));
        assert_eq!((req.method, req.path, req.query), (method, path, query), "{:?}", show(buf));
        assert_eq!(req.target, &buf[4 + usize::from(method == Post)..][..req.target.len()]);
        assert_eq!((req.version, req.framing, req.keep_alive), (Version::Http11, framing, true));
        let rest = &buf[req.head_len..];
        let (r, data) = body_of(rest, framing, &LIMITS);
        let Body::Complete(n) = r else { panic!("{:?}: body {r:?}", show(buf)) };
        assert_eq!(&data, body);
        if buf != NOISE_DOUBLE_CRLF {
            assert_eq!(n, rest.len(), "{:?}", show(buf));
        }
    }
    // What follows the blank line in noise-double-crlf is the next "request": junk.
    let rest = &NOISE_DOUBLE_CRLF[first_blank_line(NOISE_DOUBLE_CRLF)..];
    assert_eq!(parse(rest, &LIMITS), Head::Error(Error::BadRequest));
}

#[test]
fn arena_pipeline_sixteen_deep() {
    let all: Vec<u8> = PIPELINE.repeat(16);
    let mut at = 0;
    for _ in 0..16 {
        let req = complete(&all[at..]);
        assert_eq!((req.path, req.head_len), (&b"/pipeline"[..], PIPELINE.len()));
        at += req.head_len;
    }
    assert_eq!(at, all.len());
    assert_eq!(parse(&all[at..], &LIMITS), Head::Partial);
}

#[test]
fn arena_bad_content_length_waits_for_body() {
    let req = check_valid(NOISE_BADCL, &LIMITS);
    assert_eq!(req.framing, Framing::Length(999));
    let body = vec![b'7'; 999];
    for k in 0..999 {
        // The body streams: the sink sees what has come.
        assert_eq!(body_of(&body[..k], req.framing, &LIMITS), (Body::Partial, body[..k].to_vec()));
    }
    assert_eq!(body_of(&body, req.framing, &LIMITS), (Body::Complete(999), body.clone()));
}

#[test]
fn arena_noise_errors() {
    // Proof points found by reading the files (first byte that cannot continue a request).
    let table: &[(&str, &[u8], usize, Error)] = &[
        ("badheader: 0x11 in X-Junk", NOISE_BADHEADER, 66, Error::BadRequest),
        ("bare-cr: CR then 'H'", NOISE_BARE_CR, 34, Error::BadRequest),
        ("binary: first byte 0x8a", NOISE_BINARY, 1, Error::BadRequest),
        ("empty-header: ':' starts a line", NOISE_EMPTY_HEADER, 57, Error::BadRequest),
        ("null-byte: NUL in the target", NOISE_NULL_BYTE, 10, Error::BadRequest),
        ("obs-fold: SP starts a line", NOISE_OBS_FOLD, 73, Error::BadRequest),
        ("huge-header: 8193 bytes without the end", NOISE_HUGE_HEADER, 8193,
            Error::HeaderFieldsTooLarge),
    ];
    for &(what, buf, proof, want) in table {
        assert!(proof <= buf.len(), "{what}");
        for k in 0..=buf.len() {
            let expect = if k < proof { Head::Partial } else { Head::Error(want) };
            assert_eq!(parse(&buf[..k], &LIMITS), expect, "{what}: cut at {k}");
        }
    }
    // The huge header is otherwise well-formed: a bigger limit accepts it.
    let big = Limits { max_head: 8260, ..LIMITS };
    let req = check_valid(NOISE_HUGE_HEADER, &big);
    assert_eq!(req.head_len, NOISE_HUGE_HEADER.len());
    let small = Limits { max_head: 8259, ..LIMITS };
    assert_eq!(parse(NOISE_HUGE_HEADER, &small), Head::Error(Error::HeaderFieldsTooLarge));
}

#[test]
fn valid_shapes() {
    use Framing::{Chunked, Length};
    use Method::{Get, Head as HeadM, Options, Post};
    use Version::{Http10, Http11};
    let long_value = [
        &b"GET /long/path/with/more/than/sixteen/bytes?and=a&long=query&string=1 HTTP/1.1\r\n\
        Host: a.very.long.host.name.example.com:8080\r\nX-Long: "[..],
        &[b'v'; 40], b" \t\x80\xff obs-text and tabs\t\tmixed in ", &[b'~'; 33],
        b"\r\nX-Token-Name-That-Is-Long-Enough-For-Two-Windows~~~~|||: x\r\n\r\n",
    ]
    .concat();
    // (request, method, path, query, version, framing, keep_alive)
    type Row<'r> = (&'r [u8], Method, &'r [u8], &'r [u8], Version, Framing, bool);
    let table: &[Row] = &[
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", Get, b"/", b"", Http11, Framing::None, true),
        (b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", Get, b"/", b"", Http11, Framing::None, true),
        (b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", Options, b"*", b"", Http11, Framing::None, true),
        (b"OPTIONS http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", Options, b"/", b"", Http11,
            Framing::None, true),
        (b"GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n", Get, b"/", b"", Http11,
            Framing::None, true),
        (b"GET HTTPS://Example.COM:443/p/q?x=1?y HTTP/1.1\r\nHost: e\r\n\r\n", Get, b"/p/q",
            b"x=1?y", Http11, Framing::None, true),
        (b"GET http://a?x HTTP/1.1\r\nHost: a\r\n\r\n", Get, b"/", b"x", Http11, Framing::None, true),
        (b"GET http://[::1]:8080/x HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", Get, b"/x", b"", Http11,
            Framing::None, true),
        (b"GET /a? HTTP/1.1\r\nHost: a\r\n\r\n", Get, b"/a", b"", Http11, Framing::None, true),
        (b"GET /?? HTTP/1.1\r\nHost: a\r\n\r\n", Get, b"/", b"?", Http11, Framing::None, true),
        (b"GET /%7Euser/a;b=c:d@e!$&'()*+,=?q=%20&r/s?t HTTP/1.1\r\nHost: xn--bcher-kva.example\r\n\r\n",
            Get, b"/%7Euser/a;b=c:d@e!$&'()*+,=", b"q=%20&r/s?t", Http11, Framing::None, true),
        (b"GET /%00%ff%FF/%2F%2f?%3F%3f=%25 HTTP/1.1\r\nHost: a\r\n\r\n", Get, b"/%00%ff%FF/%2F%2f",
            b"%3F%3f=%25", Http11, Framing::None, true),
        (b"GET //:@!$&'()*+,;=-._~AZaz09?/?:@!$&'()*+,;=-._~ HTTP/1.1\r\nHost: a\r\n\r\n", Get,
            b"//:@!$&'()*+,;=-._~AZaz09", b"/?:@!$&'()*+,;=-._~", Http11, Framing::None, true),
        (b"GET http://[v1.x]:80/%41?%42 HTTP/1.1\r\nHost: a\r\n\r\n", Get, b"/%41", b"%42", Http11,
            Framing::None, true),
        (b"GET hTtP://%41:/a HTTP/1.1\r\nHost: a\r\n\r\n", Get, b"/a", b"", Http11, Framing::None,
            true),
        (b"HEAD /x HTTP/1.0\r\n\r\n", HeadM, b"/x", b"", Http10, Framing::None, false),
        // A higher minor version is served as HTTP/1.1 (RFC 9110 §2.5).
        (b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", Get, b"/", b"", Http11, Framing::None, true),
        (b"GET / HTTP/1.9\r\nHost: a\r\nConnection: close\r\n\r\n", Get, b"/", b"", Http11, Framing::None, false),
        (b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", Get, b"/", b"", Http10,
            Framing::None, true),
        (b"GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n", Get, b"/", b"",
            Http10, Framing::None, false),
        (b"GET / HTTP/1.0\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n", Get, b"/", b"",
            Http10, Framing::None, false),
        (b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, CLOSE\r\n\r\n", Get, b"/", b"",
            Http11, Framing::None, false),
        (b"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", Get, b"/", b"", Http11,
            Framing::None, true),
        (b"GET / HTTP/1.1\r\nHost: a\r\nConnection: , ,close-not, x-close\r\n\r\n", Get, b"/",
            b"", Http11, Framing::None, true),
        (b"GET / HTTP/1.1\r\nhOsT:\t[::1]:8080 \t\r\n\r\n", Get, b"/", b"", Http11,
            Framing::None, true),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Empty:\r\nX-Sp:   \r\n\r\n", Get, b"/", b"",
            Http11, Framing::None, true),
        (b"GET / HTTP/1.1\r\nHost: [v1.fe80::a+en1]\r\n\r\n", Get, b"/", b"", Http11,
            Framing::None, true),
        (b"GET / HTTP/1.1\r\nHost: a:\r\n\r\n", Get, b"/", b"", Http11, Framing::None, true),
        (b"GET / HTTP/1.1\r\nHost: %41-._~!$&'()*+;=\r\n\r\n", Get, b"/", b"", Http11,
            Framing::None, true),
        (b"POST /p HTTP/1.1\r\nHost: a\r\ncontent-length: 005\r\nContent-Length:5\r\n\r\n", Post,
            b"/p", b"", Http11, Length(5), true),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 000\r\n\r\n", Post,
            b"/", b"", Http11, Length(0), true),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \t1048576 \r\n\r\n", Post, b"/", b"",
            Http11, Length(1 << 20), true),
        (b"POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n", Post, b"/", b"", Http10, Length(0),
            false),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , CHUNKED ,\r\n\r\n", Post, b"/", b"",
            Http11, Chunked, true),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\nTransfer-Encoding: chunked\r\n\r\n",
            Post, b"/", b"", Http11, Chunked, true),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\nHost: a\r\n\r\n", Post, b"/", b"",
            Http11, Chunked, true),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\nTransfer-Encoding:\t,,chunked\t,\r\n\
            Transfer-Encoding: \r\n\r\n", Post, b"/", b"", Http11, Chunked, true),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: \x80\xff\t\"(),/:;<=>?@[\\]{}~\r\n\r\n", Get, b"/",
            b"", Http11, Framing::None, true),
        (b"GET / HTTP/1.1\r\n!#$%&'*+-.^_`|~09azAZ: v\r\nHost: a\r\n\r\n", Get, b"/", b"",
            Http11, Framing::None, true),
        (&long_value, Get, b"/long/path/with/more/than/sixteen/bytes",
            b"and=a&long=query&string=1", Http11, Framing::None, true),
    ];
    for &(buf, method, path, query, version, framing, keep_alive) in table {
        let req = check_valid(buf, &LIMITS);
        let got = (req.method, req.path, req.query, req.version, req.framing, req.keep_alive);
        assert_eq!(got, (method, path, query, version, framing, keep_alive), "{:?}", show(buf));
        assert_eq!(req.head_len, buf.len());
        // The target is the bytes between the two spaces of the request line.
        let line = &buf[buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap()..];
        let sp1 = line.iter().position(|&b| b == b' ').unwrap();
        let sp2 = sp1 + 1 + line[sp1 + 1..].iter().position(|&b| b == b' ').unwrap();
        assert_eq!(req.target, &line[sp1 + 1..sp2]);
    }
}

/// Cases: (prefix that proves the error, rest, error). The request line comes first.
const LINE_CASES: &[(&[u8], &[u8], Error)] = &[
    (b"G\x01", b"ET / HTTP/1.1\r\n\r\n", Error::BadRequest),
    (b" ", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"\n", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"\r\r", b"\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"\r\n\n", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"\r\n ", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET\t", b"/ HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET\r", b"\n\r\n", Error::BadRequest),
    (b"GET  ", b"/ HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET/", b" HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    // A method mote does not implement is 501, once the whole request line has come.
    (b"PUT / HTTP/1.1\r\n", b"Host: a\r\n\r\n", Error::NotImplemented),
    (b"DELETE / HTTP/1.1\r\n", b"Host: a\r\n\r\n", Error::NotImplemented),
    (b"BREW /pot HTTP/1.1\r\n", b"Host: a\r\n\r\n", Error::NotImplemented),
    (b"get / HTTP/1.1\r\n", b"Host: a\r\n\r\n", Error::NotImplemented),
    (b"GETS / HTTP/1.1\r\n", b"Host: a\r\n\r\n", Error::NotImplemented),
    (b"ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n", b"Host: a\r\n\r\n", Error::NotImplemented),
    (b"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKL * HTTP/1.1\r\n", b"\r\n",
        Error::NotImplemented),
    (b"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLM", b" / HTTP/1.1\r\n\r\n",
        Error::BadRequest),
    (b"CONNECT a:443 HTTP/1.1\r\n", b"Host: a\r\n\r\n", Error::NotImplemented),
    (b"CONNECT [::1]:443 HTTP/1.1\r\n", b"Host: a\r\n\r\n", Error::NotImplemented),
    // ... but a request line that is not three parts is 400, whatever its method.
    (b"HELLO WORLD\r", b"\n\r\n", Error::BadRequest),
    (b"HELLO /x\r", b"\n\r\n", Error::BadRequest),
    (b"PUT / HTTP/1.1 ", b"\r\n\r\n", Error::BadRequest),
    (b"PUT / HTTP/2.0\r", b"\n\r\n", Error::VersionNotSupported),
    (b"PUT /\"", b" HTTP/1.1\r\n\r\n", Error::BadRequest),
    (b"PUT /%z", b" HTTP/1.1\r\n\r\n", Error::BadRequest),
    (b"GET x", b" HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET a", b"/b HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET ?", b" HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET /a\x00", b"b HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET /a#", b"f HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET /\x7f", b" HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET /\xc3", b"\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET /\t", b" HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET /a\r", b"\n\r\n", Error::BadRequest),
    (b"GET /a\n", b"\r\n", Error::BadRequest),
    (b"GET *", b" HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"OPTIONS */", b" HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"OPTIONS **", b" HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET hx", b" HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET http:/x", b" HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET https:x", b" HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET f", b"tp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET http ", b"HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET http:// ", b"HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET http:///", b"x HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET http://?", b"x HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET http://user@", b"a/ HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET http://a,", b"b/ HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET http://a:8x", b"/ HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET http://:", b"80/ HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET http://[::1]x", b"/ HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET http://[::g", b"]/ HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET http://[::1/", b"]/ HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET http://a%2/", b" HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET / h", b"ttp/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET /  ", b"HTTP/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET / HTTP/1.1\n", b"Host: a\r\n\r\n", Error::BadRequest),
    (b"GET / HTTP/1.1 ", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET / HTTP/1.1\rx", b"\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET / HTTP/1.10", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET / HTTP/11", b".1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET / HTTP/1.x", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET / HTTP/1.\r", b"\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET / HTTPS", b"/1.1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"GET / HTTP/2.0\r", b"\nHost: a\r\n\r\n", Error::VersionNotSupported),
    (b"GET / HTTP/0.0\r", b"\nHost: a\r\n\r\n", Error::VersionNotSupported),
    (b"GET / HTTP/0.9\r", b"\nHost: a\r\n\r\n", Error::VersionNotSupported),
    (b"GET / HTTP/9.9\r", b"\n\r\n", Error::VersionNotSupported),
    (b"GET / HTTP/2.0 ", b"\r\n\r\n", Error::BadRequest),
];

/// Cases after a valid request line `GET / HTTP/1.1\r\n`: (prefix, rest, error).
const FIELD_CASES: &[(&[u8], &[u8], Error)] = &[
    (b" ", b"Host: a\r\n\r\n", Error::BadRequest),
    (b"\t", b"Host: a\r\n\r\n", Error::BadRequest),
    (b"Host: a\r\n\t", b"b\r\n\r\n", Error::BadRequest),
    (b"Host: a\r\n ", b"b\r\n\r\n", Error::BadRequest),
    (b":", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Host: a\r\n:", b" v\r\n\r\n", Error::BadRequest),
    (b"Host ", b": a\r\n\r\n", Error::BadRequest),
    (b"Host\t", b": a\r\n\r\n", Error::BadRequest),
    (b"X-A\r", b"\nHost: a\r\n\r\n", Error::BadRequest),
    (b"X(", b"A: b\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"X-\xc3", b"\xa9: b\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"X-A: b\x00", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"X-A: b\x7f", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"X-A: \x1b", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"X-A: b\n", b"Host: a\r\n\r\n", Error::BadRequest),
    (b"X-A: b\rc", b"\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Host: a\r\n\r\r", b"\n", Error::BadRequest),
    (b"Host: a\n", b"\r\n", Error::BadRequest),
    (b"Host: a\r\n\n", b"", Error::BadRequest),
    // Content-Length
    (b"Content-Length: a", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length: +", b"1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length: -", b"1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length: 1,", b"1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length: 1 2", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length: 0x", b"1\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length: 1.", b"0\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length:\r", b"\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length: \t \r", b"\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length: 18446744073709551616", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length: 99999999999999999999", b"9\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length: 1048577\r", b"\nHost: a\r\n\r\n", Error::PayloadTooLarge),
    (b"Content-Length: 18446744073709551615\r", b"\nHost: a\r\n\r\n", Error::PayloadTooLarge),
    (b"Content-Length: 5\r\nContent-Length: 6", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length: 5\r\nContent-Length: 51", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length: 10\r\nContent-Length: 1\r", b"\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length: 10\r\nContent-Length: 1 ", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length: 0\r\nContent-Length: 01", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Content-Length: 5\r\nContent-Length: \r", b"\nHost: a\r\n\r\n", Error::BadRequest),
    // Transfer-Encoding: what a single line proves at once.
    (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: c", b"hunked\r\nHost: a\r\n\r\n",
        Error::BadRequest),
    (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: , g", b"zip\r\nHost: a\r\n\r\n",
        Error::BadRequest),
    (b"Transfer-Encoding: chunked, c", b"hunked\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: chunked,g", b"zip\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: chunked;q=1 , g", b"zip\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: CHUNKED ,, x", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: chunked;a=\"1,2\", x", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: gzip, chunked, g", b"zip\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: chunked x", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: gzip x", b", chunked\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: ;", b"chunked\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: \"", b"chunked\"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: \x80", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: x;=", b"1, chunked\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: x;;", b"a=1, chunked\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: x;a b", b"=1, chunked\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: x;a=,", b" chunked\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: x;a=b=", b", chunked\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: x;a=\"b\"c", b", chunked\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: x;a=\"\\\x7f", b"\", chunked\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: x;a\r", b"\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: x;a= \r", b"\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: x; \r", b"\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: x;a=\"b,chunked\r", b"\n\r\n", Error::BadRequest),
    (b"Transfer-Encoding: x;a=\"b\\\r", b"\n\r\n", Error::BadRequest),
    // Transfer-Encoding: what only the whole head proves.
    (b"Host: a\r\nTransfer-Encoding: gzip\r\n\r\n", b"", Error::BadRequest),
    (b"Transfer-Encoding: identity\r\nHost: a\r\n\r\n", b"", Error::BadRequest),
    (b"Host: a\r\nTransfer-Encoding: chunkedx\r\n\r\n", b"", Error::BadRequest),
    (b"Host: a\r\nTransfer-Encoding: chunk\r\n\r\n", b"", Error::BadRequest),
    (b"Host: a\r\nTransfer-Encoding: \r\n\r\n", b"", Error::BadRequest),
    (b"Host: a\r\nTransfer-Encoding: ,\r\nTransfer-Encoding: \t\r\n\r\n", b"",
        Error::BadRequest),
    (b"Host: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", b"", Error::NotImplemented),
    (b"Host: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", b"",
        Error::NotImplemented),
    (b"Host: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", b"", Error::NotImplemented),
    (b"Host: a\r\nTransfer-Encoding: chunked \t; q =\t\"\\\"\" \r\n\r\n", b"",
        Error::NotImplemented),
    (b"Host: a\r\nTransfer-Encoding: x;a=\"\\\"chunked\\\", y\", chunked\r\n\r\n", b"",
        Error::NotImplemented),
    (b"Host: a\r\nTransfer-Encoding: x;a=\"\x80\t,\";b=c, chunked\r\n\r\n", b"",
        Error::NotImplemented),
    (b"Host: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n", b"",
        Error::BadRequest),
    (b"Content-Length: 2\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", b"",
        Error::BadRequest),
    // Content-Length with Transfer-Encoding comes before the coding decision.
    (b"Content-Length: 2\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", b"",
        Error::BadRequest),
    // Connection
    (b"Connection: close x", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Connection: clo\"", b"se\"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Connection: close;", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    (b"Connection: a, b\x80", b"\r\nHost: a\r\n\r\n", Error::BadRequest),
    // Host
    (b"Host: a@", b"b\r\n\r\n", Error::BadRequest),
    (b"Host: a/", b"\r\n\r\n", Error::BadRequest),
    (b"Host: a?", b"\r\n\r\n", Error::BadRequest),
    (b"Host: a#", b"\r\n\r\n", Error::BadRequest),
    (b"Host: a b", b"\r\n\r\n", Error::BadRequest),
    (b"Host: a,", b"b\r\n\r\n", Error::BadRequest),
    (b"Host: a\"", b"\r\n\r\n", Error::BadRequest),
    (b"Host: \xc3", b"\xa9\r\n\r\n", Error::BadRequest),
    (b"Host:\r", b"\n\r\n", Error::BadRequest),
    (b"Host:   \r", b"\n\r\n", Error::BadRequest),
    (b"Host: :", b"80\r\n\r\n", Error::BadRequest),
    (b"Host: a:b", b"\r\n\r\n", Error::BadRequest),
    (b"Host: a:1:", b"2\r\n\r\n", Error::BadRequest),
    (b"Host: [x", b"]\r\n\r\n", Error::BadRequest),
    (b"Host: [::1\r", b"\n\r\n", Error::BadRequest),
    (b"Host: [::1]x", b"\r\n\r\n", Error::BadRequest),
    (b"Host: []", b"\r\n\r\n", Error::BadRequest),
    (b"Host: [1.", b"2.3.4]\r\n\r\n", Error::BadRequest),
    (b"Host: [:::", b"1]\r\n\r\n", Error::BadRequest),
    (b"Host: [1:2:3:4:5:6:7:8:", b"9]\r\n\r\n", Error::BadRequest),
    (b"Host: [::1::", b"]\r\n\r\n", Error::BadRequest),
    (b"Host: [v.", b"x]\r\n\r\n", Error::BadRequest),
    (b"Host: a%g", b"g\r\n\r\n", Error::BadRequest),
    (b"Host: a%4\r", b"\n\r\n", Error::BadRequest),
    (b"Host: a]", b"\r\n\r\n", Error::BadRequest),
    // Host count: only once the head is complete.
    (b"\r\n", b"", Error::BadRequest),
    (b"X: y\r\n\r\n", b"", Error::BadRequest),
    (b"Host: a\r\nHost: a\r\n\r\n", b"", Error::BadRequest),
    (b"Host: a\r\nhost: b\r\nX: y\r\n\r\n", b"", Error::BadRequest),
];

/// Targets refused for their bytes (RFC 9112 §3.2, RFC 3986 §2.1, §3.3-§3.4): (prefix that
/// proves the error, rest). Each is 400.
const TARGET_CASES: &[(&[u8], &[u8])] = &[
    (b"GET /a\"", b"b HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /a<", b"b> HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET />", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /a\\", b"b HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /^", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /`", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /{", b"} HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /a|", b"b HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /}", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /[", b"::1] HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /a]", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /?q=[", b"] HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /?q=\"", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /?#", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /\x01", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /\x1f", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /\xff", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa^", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /aaaaaaaaaaaaaaaa?bbbbbbbbbbbbbbbbbbbbbbbbbbbbb{", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    // pct-encoding
    (b"GET /%z", b"z HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /%4G", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /%G", b"4 HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /%%", b"41 HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /%4%", b"41 HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /%41%/", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /a% ", b"HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /a%4 ", b"HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /?%\r", b"\n HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /%\"", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /?a=%e\xcc", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%0?", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    // absolute-form: path and query follow the same rule; brackets only in the authority.
    (b"GET http://a/[", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET http://a?]", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET http://a/b\"", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET http://a/%z", b"z HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET http://a?%4 ", b"HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET http://a% ", b"HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET http://[::1]/[", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET http://[::1]]", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET http://[::1][", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET http://a[", b"::1] HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET http://a^", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET http://a{", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET http://[::1\"", b"] HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET http:/[", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"GET HTTPS://a/x|", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"OPTIONS *\"", b" HTTP/1.1\r\nHost: a\r\n\r\n"),
    (b"OPTIONS *%", b"41 HTTP/1.1\r\nHost: a\r\n\r\n"),
];

#[test]
fn refused_targets() {
    for &(prefix, rest) in TARGET_CASES {
        check_error(&[prefix, rest].concat(), prefix.len(), Error::BadRequest, &LIMITS);
    }
    // Every byte outside the target alphabet, at the start of a path, in a path, in a query
    // and in an absolute-form path, is refused as soon as it arrives; every byte inside it
    // is a valid prefix.
    for b in 0..=255u8 {
        let allowed = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b);
        for head in [&b"GET /"[..], b"GET /abcdefghijklmnopqrstuvwxyz", b"GET /a?b", b"GET http://a/b"] {
            let buf = [head, &[b]].concat();
            let got = parse(&buf, &LIMITS);
            let want = if allowed || b == b' ' { Head::Partial } else { Head::Error(Error::BadRequest) };
            assert_eq!(got, want, "{:?}", show(&buf));
        }
    }
}

#[test]
fn malformed_request_lines() {
    for &(prefix, rest, want) in LINE_CASES {
        check_error(&[prefix, rest].concat(), prefix.len(), want, &LIMITS);
    }
}

#[test]
fn malformed_fields() {
    const LINE: &[u8] = b"GET / HTTP/1.1\r\n";
    for &(prefix, rest, want) in FIELD_CASES {
        check_error(&[LINE, prefix, rest].concat(), LINE.len() + prefix.len(), want, &LIMITS);
    }
}

#[test]
fn http10_rules() {
    // Transfer-Encoding in HTTP/1.0: refused as soon as its name and ':' arrive.
    let line: &[u8] = b"POST / HTTP/1.0\r\n";
    let prefix = [line, b"Transfer-Encoding:"].concat();
    check_error(&[&prefix[..], b" chunked\r\n\r\n"].concat(), prefix.len(), Error::BadRequest,
        &LIMITS);
    // Host is optional but validated, and at most one.
    check_error(b"GET / HTTP/1.0\r\nHost: a b\r\n\r\n", 25, Error::BadRequest, &LIMITS);
    let two = b"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n";
    check_error(two, two.len(), Error::BadRequest, &LIMITS);
}

#[test]
fn target_limit() {
    // Exactly max_target bytes pass; one more is 414 as soon as it arrives.
    let ok = [&b"GET /"[..], &[b'a'; 4095], b" HTTP/1.1\r\nHost: a\r\n\r\n"].concat();
    assert_eq!(check_valid(&ok, &LIMITS).target.len(), 4096);
    let long = [&b"GET /"[..], &[b'a'; 4096], b" HTTP/1.1\r\nHost: a\r\n\r\n"].concat();
    check_error(&long, 4 + 4097, Error::UriTooLong, &LIMITS);
    // Small limits, absolute-form.
    let small = Limits { max_target: 12, ..LIMITS };
    check_valid(b"GET http://a/345 HTTP/1.1\r\nHost: a\r\n\r\n", &small);
    check_error(b"GET http://a/3456 HTTP/1.1\r\nHost: a\r\n\r\n", 4 + 13, Error::UriTooLong,
        &small);
    // A target malformed within the limit is a 400 even when it is also too long.
    check_error(b"GET x23456789abcdef HTTP/1.1\r\n\r\n", 5, Error::BadRequest, &small);
    check_error(b"GET /23456789abcd\x00 HTTP/1.1\r\n\r\n", 4 + 13, Error::UriTooLong, &small);
    // A bad byte right after max_target good ones is a 400.
    check_error(b"GET /23456789abc\x00 HTTP/1.1\r\n\r\n", 4 + 13, Error::BadRequest, &small);
    check_error(b"GET /23456789abc\" HTTP/1.1\r\n\r\n", 4 + 13, Error::BadRequest, &small);
    // A bad pct-encoding is judged on the bytes within the limit too.
    check_error(b"GET /234567890%zz HTTP/1.1\r\n\r\n", 4 + 12, Error::BadRequest, &small);
    check_error(b"GET /2345678901%zz HTTP/1.1\r\n\r\n", 4 + 13, Error::UriTooLong, &small);
    check_error(b"GET /234567890%4z HTTP/1.1\r\n\r\n", 4 + 13, Error::UriTooLong, &small);
    check_valid(b"GET /23456789%4a HTTP/1.1\r\nHost: a\r\n\r\n", &small);
    // The brackets of an IP-literal count as target bytes.
    let literal = Limits { max_target: 13, ..LIMITS };
    check_valid(b"GET http://[::1]/ HTTP/1.1\r\nHost: a\r\n\r\n", &literal);
    check_error(b"GET http://[::1]/x HTTP/1.1\r\n\r\n", 4 + 14, Error::UriTooLong, &literal);
}

#[test]
fn head_limit() {
    let req: &[u8] = b"GET /abc HTTP/1.1\r\nHost: a\r\nX: yyy\r\n\r\n";
    let exact = Limits { max_head: req.len(), ..LIMITS };
    check_valid(req, &exact);
    let over = Limits { max_head: req.len() - 1, ..LIMITS };
    check_error(req, req.len(), Error::HeaderFieldsTooLarge, &over);
    // A malformation inside the limit wins; one past it is never seen.
    let tight = Limits { max_head: 20, ..LIMITS };
    check_error(b"GET /abc HTTP/1.1\r\n\x00ost: a\r\n\r\n", 20, Error::BadRequest, &tight);
    check_error(b"GET /abc HTTP/1.1\r\nH\x00st: a\r\n\r\n", 21, Error::HeaderFieldsTooLarge,
        &tight);
    // Leading empty lines never count toward the limit, but there may be at most
    // MAX_EMPTY_LINES of them.
    let head: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    let fits = Limits { max_head: head.len(), ..LIMITS };
    let lead = [&b"\r\n".repeat(10)[..], head].concat();
    assert_eq!(check_valid(&lead, &fits).head_len, lead.len());
    let most = [&b"\r\n".repeat(MAX_EMPTY_LINES as usize)[..], head].concat();
    assert_eq!(check_valid(&most, &fits).head_len, most.len());
    let more = [&b"\r\n".repeat(MAX_EMPTY_LINES as usize + 1)[..], head].concat();
    check_error(&more, 2 * MAX_EMPTY_LINES as usize + 2, Error::BadRequest, &fits);
}

#[test]
fn body_limit() {
    let small = Limits { max_body: 10, ..LIMITS };
    let ok = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n";
    assert_eq!(check_valid(ok, &small).framing, Framing::Length(10));
    let big = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n";
    check_error(big, big.len() - 3, Error::PayloadTooLarge, &small);
}

#[test]
fn bodies() {
    let limits = Limits { max_body: 8, ..LIMITS };
    assert_eq!(body_of(b"xyz", Framing::None, &limits), (Body::Complete(0), vec![]));
    assert_eq!(body_of(b"abc", Framing::Length(3), &limits), (Body::Complete(3), b"abc".to_vec()));
    assert_eq!(body_of(b"abcdef", Framing::Length(3), &limits), (Body::Complete(3), b"abc".to_vec()));
    assert_eq!(body_of(b"ab", Framing::Length(3), &limits), (Body::Partial, b"ab".to_vec()));
    assert_eq!(body_of(b"", Framing::Length(0), &limits), (Body::Complete(0), vec![]));
    assert_eq!(body_of(b"", Framing::Length(9), &limits).0, Body::Error(Error::PayloadTooLarge));
    assert_eq!(body_of(b"", Framing::Length(u64::MAX), &limits).0,
        Body::Error(Error::PayloadTooLarge));
    let chunked = b"3\r\nabc\r\n1;x=y\r\nd\r\n0\r\n\r\nGET";
    assert_eq!(body_of(chunked, Framing::Chunked, &limits),
        (Body::Complete(chunked.len() - 3), b"abcd".to_vec()));
    assert_eq!(body_of(b"3\r\nab", Framing::Chunked, &limits).0, Body::Partial);
    assert_eq!(body_of(b"3\r\nabc\n", Framing::Chunked, &limits).0, Body::Error(Error::BadRequest));
    assert_eq!(body_of(b"9\r\n", Framing::Chunked, &limits).0, Body::Error(Error::PayloadTooLarge));
    assert_eq!(body_of(b"5\r\nabcde\r\n4\r\n", Framing::Chunked, &limits).0,
        Body::Error(Error::PayloadTooLarge));
}

#[test]
fn headers_walk() {
    let buf: &[u8] = b"\r\nPOST /x HTTP/1.1\r\nHost:  a:1 \r\nX-Empty:\r\nX-Mid: a \t b\t\r\n\
        content-length: 3\r\n\r\nabcGET";
    let req = complete(buf);
    let mut seen: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for_each_header(buf, &req, &mut |n, v| seen.push((n.to_vec(), v.to_vec())));
    let want: Vec<(Vec<u8>, Vec<u8>)> = [
        (&b"Host"[..], &b"a:1"[..]),
        (b"X-Empty", b""),
        (b"X-Mid", b"a \t b"),
        (b"content-length", b"3"),
    ]
    .iter()
    .map(|(n, v)| (n.to_vec(), v.to_vec()))
    .collect();
    assert_eq!(seen, want);
    // Arena requests: one line per header.
    let req = complete(POST_CHUNKED);
    let mut names = Vec::new();
    for_each_header(POST_CHUNKED, &req, &mut |n, v| names.push((n, v)));
    assert_eq!(names, vec![(&b"Host"[..], &b"localhost:8080"[..]), (b"Transfer-Encoding", b"chunked")]);
}

#[test]
fn error_codes() {
    let table = [
        (Error::BadRequest, 400),
        (Error::PayloadTooLarge, 413),
        (Error::UriTooLong, 414),
        (Error::HeaderFieldsTooLarge, 431),
        (Error::NotImplemented, 501),
        (Error::VersionNotSupported, 505),
    ];
    for (e, code) in table {
        assert_eq!(e.code(), code);
    }
}

/// Valid requests used as seeds for generated inputs.
fn seeds() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [GET, POST_CL, POST_CHUNKED, PIPELINE, VALID_GET1, VALID_POST1,
        NOISE_BADPATH, NOISE_BADCL, NOISE_DOUBLE_CRLF]
        .iter()
        .map(|s| s.to_vec())
        .collect();
    v.extend([
        &b"OPTIONS * HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: keep-alive, close\r\n\r\n"[..],
        b"GET http://example.com:80/a/b/c/d/e/f?x=1&y=2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        b"POST /upload/with/a/longer/path?q=aaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a.b.c\r\n\
          Transfer-Encoding: chunked\r\nX-Long-Header-Name-For-Windows: value with spaces \
          and \x80\xff obs-text and more than thirty-two bytes\r\n\r\n",
        b"\r\nPOST / HTTP/1.1\r\nhost: a\r\ncontent-length: 0010\r\nContent-Length: 10\r\n\r\n",
    ].iter().map(|s| s.to_vec()));
    v
}

/// Parses every prefix of `buf` and checks stability: once a prefix is an error or a
/// complete head, every longer prefix gives the same answer.
fn check_stable(buf: &[u8], limits: &Limits) {
    let mut settled: Option<Head<'_>> = None;
    for k in 0..=buf.len() {
        let r = parse(&buf[..k], limits);
        if let Head::Complete(req) = r {
            assert!(req.head_len <= k);
        }
        match settled {
            Some(s) => assert_eq!(r, s, "{:?}: changed at {k}", show(buf)),
            None if r != Head::Partial => settled = Some(r),
            None => {}
        }
    }
}

#[test]
fn generated_inputs_agree_and_are_stable() {
    let seeds = seeds();
    let limits = [LIMITS, Limits { max_head: 64, max_target: 24, max_body: 9 }];
    let inserts: &[u8] = b"\r\n\x00 \t:,;\"#?/@[]\x7f\x80~";
    let mut rng = 0xDEAD_BEEF_CAFE_F00Du64;
    let mut outcomes = std::collections::HashMap::new();
    for seed in &seeds {
        for &l in &limits {
            check_stable(seed, &l);
        }
        for _ in 0..400 {
            let mut m = seed.clone();
            for _ in 0..=(xorshift(&mut rng) % 3) {
                let r = xorshift(&mut rng);
                let at = (r >> 8) as usize % (m.len() + 1);
                match r % 6 {
                    // Flip a byte to any value.
                    0 if at < m.len() => m[at] = (r >> 40) as u8,
                    // Insert a byte from a class that matters to the grammar.
                    1 | 2 => m.insert(at, inserts[(r >> 32) as usize % inserts.len()]),
                    // Delete a byte.
                    3 if at < m.len() => {
                        m.remove(at);
                    }
                    // Duplicate the line containing `at` (a header, usually).
                    4 => {
                        let start = m[..at].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                        if let Some(end) = m[at..].iter().position(|&b| b == b'\n') {
                            let line = m[start..at + end + 1].to_vec();
                            m.splice(start..start, line);
                        }
                    }
                    // Change the case of a byte.
                    _ if at < m.len() => m[at] ^= 0x20,
                    _ => {}
                }
            }
            for &l in &limits {
                check_stable(&m, &l);
                let key = match parse(&m, &l) {
                    Head::Complete(_) => "complete".to_string(),
                    Head::Partial => "partial".to_string(),
                    Head::Error(e) => format!("{e:?}"),
                };
                *outcomes.entry(key).or_insert(0) += 1;
            }
        }
    }
    // The mutations must reach a spread of outcomes, or the test proves little.
    for key in ["complete", "partial", "BadRequest", "NotImplemented", "UriTooLong",
        "HeaderFieldsTooLarge"]
    {
        assert!(outcomes.get(key).copied().unwrap_or(0) > 5, "{key}: {outcomes:?}");
    }
}

#[test]
fn random_heads_agree() {
    // Heads built from random fields with long names and values (so both scanners cross
    // 16-byte windows), sometimes with one bad byte.
    let pools: [&[u8]; 3] = [b"abcXYZ09-_.~!#$%&'*+^`|", b" \t\x80\xff:;,/\"()", b"\x00\r\n\x7f\x01"];
    let mut rng = 0x0123_4567_89AB_CDEFu64;
    for _ in 0..3000 {
        let mut m = b"GET /".to_vec();
        for _ in 0..xorshift(&mut rng) % 40 {
            let pool = pools[usize::from(xorshift(&mut rng).is_multiple_of(20))];
            m.push(pool[(xorshift(&mut rng) % pool.len() as u64) as usize]);
        }
        m.extend_from_slice(b" HTTP/1.1\r\nHost: a\r\n");
        for _ in 0..xorshift(&mut rng) % 4 {
            for _ in 0..1 + xorshift(&mut rng) % 40 {
                let pool = pools[usize::from(xorshift(&mut rng).is_multiple_of(30)) * 2];
                m.push(pool[(xorshift(&mut rng) % pool.len() as u64) as usize]);
            }
            m.extend_from_slice(b": ");
            for _ in 0..xorshift(&mut rng) % 60 {
                let r = xorshift(&mut rng);
                let pool = pools[if r.is_multiple_of(40) { 2 } else { (r >> 8) as usize % 2 }];
                m.push(pool[(r >> 16) as usize % pool.len()]);
            }
            m.extend_from_slice(b"\r\n");
        }
        m.extend_from_slice(b"\r\n");
        let r = parse(&m, &LIMITS);
        if let Head::Complete(req) = r {
            assert_eq!(req.head_len, m.len());
        }
    }
}
