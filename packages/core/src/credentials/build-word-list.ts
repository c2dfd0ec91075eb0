/**
 * Builds `word-list.ts`, the password word list shipped with @factory/core. Run at development
 * time only, on Debian with the `wamerican-small` package installed:
 *
 *   apt-get install wamerican-small
 *   pnpm tsx packages/core/src/credentials/build-word-list.ts [/usr/share/dict/american-english-small]
 *
 * Steps (docs/credentials.md explains the choices):
 * 1. keep lines that are 4 to 8 lower-case letters a–z (drops proper nouns, possessives, accents);
 * 2. deduplicate and sort;
 * 3. drop words whose SHA-256 prefix is in {@link EXCLUDED}: profanity, slurs, sexual, violent,
 *    drug and illness words that must not appear on a label handed to a customer (kept as hashes
 *    so the source does not spell them out; check a word with `echo -n WORD | sha256sum`);
 * 4. drop words whose letters give fewer than {@link MIN_LETTER_BITS} bits of case and digit
 *    choices, which raises the guaranteed entropy of every word.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { letterBits } from "./letter-forms";

const MIN_LETTER_BITS = 3;

/** First 16 hex digits of SHA-256 of each excluded word. */
const EXCLUDED = new Set(
  `
00fbe4fc0e13c198 01b3c1269215e1a0 01e3c9895eb9c26c 023d1be06170bd39 0241169c88f74dad 02b81127a34a177b
039f4a2615da84b1 03f750c99c5cf589 0405c2487fa9c151 04130fa656d461a0 044762721cc9162c 04651cd5fa4e877d
04b0d777622a8f33 0508a634445d4016 05b3b66d444b8ed7 05b8b79eea508848 0632813d1fd36b45 0650b36f5e8e2b97
066fcd0001613c4e 06a7d8d148b53725 07fb7efaeeedc709 08234c948b5a00f9 095a511921903729 097474678c59645f
098593a0be4d6eeb 0b83cd023137f13e 0bf2b75b3752eeb3 0c41aa11f11e90e1 0c9eff9d6b113fd8 0ebdc3317b75839f
0f28c4960d96647e 0f738c967b079dfa 102626eace2d1293 110c6c5a86fa0de5 116d1eaa0c92ab48 11b9608684bb5563
11cf8376a1575fdc 12246ef4801bc0ca 127c6aeff8130d6c 12a667c9be6ff8f6 12e90b8e74f20fc0 13a465fc6616da8d
14d3ff869839c7fa 154c9a0b0375cc4d 158869a97379229b 15c4abc318ebb617 16761b6ca651219b 167a79b5d437ac9a
183936b010c67d89 197580558693a4ab 1a9a75b29bdb6b29 1ac71a7fc1664101 1afc8c785a4e3d2e 1afdb8730b8c4723
1b253a2520329806 1b81af5d5defa5eb 1b83044895756d26 1d975ddabeb63098 1de83442dea1fe1b 1e02eec4f1095143
1e8c25b56c779e9f 1ef9e2d674150675 1f4f4954cb64b172 1f502afd9a066958 1f6fbb3b61641d8e 1f8b064036ee030f
1fb7077eadef21db 214cb0129f52de82 21788507538d0303 2189c0ed714f0c54 21ff590c5c9386a6 2257b6d95c22c1bb
22c9da047932fe3a 22d900fadd3b293e 22f3ae2927952fc2 232c94665746f5de 234f0224aa5e3f75 235e285376cb0d3b
245c20d383aea7a8 251bd5d862e06788 25390976ce87338a 25f391070d16a050 2643375bddbc8bd3 27a45e0e86761a80
27ec4ab2cc3f87a8 27f6c6a613840a1a 28a3a5e81d1e89f0 29dd3075fa77f56b 2a4cd96974382952 2a6060b5e21aacf2
2aae709020638f2a 2ae3cf7d4c49da7e 2af3dec4b269fc6f 2b1125f7c17dd1ea 2b392732850bd9da 2b4a59fec3e7bcc7
2bb7818bf6738f49 2bda9b4dfbabfdb1 2c1d8af3b671c780 2c32c156cf1a3222 2d4884ff111b2af7 2d7d06c8ac56bd44
2f12f225201ff03d 2f3af0c93108d797 304941a92ce17d7d 30cf1c20022cf195 3152c94df8660eda 32f951cbe2f83d85
3381ef8181a8803d 348b2dc965d4e644 348d77e943a990e6 35d7d4344d799659 36c87106e4f7d543 38012c26a53b255b
3809e9911f2ff0f3 38136d6e343860f6 390cde5f2c1ecf15 3963ba2bab02721e 39c7ad800c579210 39cdc50579d2bac9
3a53db8a2c8a17ee 3addea6406e681ba 3b2afc707b5ffb44 3bb6e464da151ea1 3db051c8db8ab334 3e8e40c0af5f5ea5
3e90d4714faf9f27 3ea470efcab776eb 3f975152b427b9c5 3fb6f6b9de1d92a9 3ff0c4f98009555d 3ffca36f1d2d8d26
4098e1a88ff7d181 40b4e5a55ac53394 4140197ec7959b1c 424a049c7691ddeb 42b034273ab7f455 42c75396af1d6fe6
43016c73f98cc6c9 44547426f261f179 449fa4faa894b7e2 44d3f3e9c1e19a2f 44f20914e41c9570 45463efe3173a404
45cd3e1bb472d8e2 45d866ee3730981a 45eb60d1846d0f7a 460325ce64554208 460ed72cce49fe5b 46a11f1333d6b207
46ab030343b8fc23 476342b3553fe919 47b673e08117aac3 48fab7a56479b7ec 490c40df8a963423 4a6ff2f33e571a89
4ae1915834846378 4b18aefe826adf55 4bb60e47e119588e 4c499dc1f10efacd 4c9bd06ec2e78a01 4dc63c44cd561925
4e255bc155955af4 4e605ba19bb9781a 4e6750b2ca08feb9 4f69dd532490f3cf 4fb879d5e57090bc 5055fa006e168c36
508cbf1e3671e54a 50943d77e37a7b28 50afe4884548838b 50c0048948599a72 51ae06cf84dbb77d 523268044ceba827
529b7ecf563bf78f 52c478bd58268e28 52c8e02987ccb1b0 5304378d007825cc 5419d97d6be4ebb0 544aff9cb1aad4b1
554c07a8809dc232 5600ae99b14ef8e5 562fd245611849c6 56682310145bf539 56b8d8de10a33682 56f243a9a1544243
5713c12eb9665986 5715e3ed5f9382d4 5743abddddfa08c1 579e2398d5b4d148 59888a40ad3be418 59a2418c9dc64bf6
59a24d9d41161c7c 59cc3cb8a4297301 5a9d9dcefb56e593 5bc3ef890261b97c 5bfa67f9bc76ead4 5d20b1360ae88c17
5d26ffd87ab6c37d 5e5fe409577f2f74 5ebdc7b074ec1cae 60e04706c43421be 613ddd9aff46e2a0 61526b20e5d88b32
61dd29f2fd298a27 625fa4394378ca31 632388bce7ff095c 63a44b1e78c0b960 63bd9333b1a0b11d 64617c06ac8a2a6f
6577be77529947bf 667439cccb4fc23d 683070bfb914b445 68da4167b0cd79b7 693ee9961bef39c1 6a18f85da1e47500
6adc452d6b74df40 6bc5cc5cb7a9e155 6be95b08e946e5ad 6d26b73412068f3a 6dcdffaeac040a70 6e17a6ebe229896e
6e50754c74d12b59 6eaae4b28a4df2df 6ef9d9fd4a0456ee 70e6c0f83423d97b 72de275ac0b40947 73740548d223792c
737dd1bca21d67a7 73a2ed5bf61bc25e 73e37401a920a938 73f80633a12775cf 749611853cb4296e 74a67673161eda93
754a7b453d97b648 7602c1a4a3f91abc 7653097b0a56851e 76f41c436a8a49ff 779e6186bbfcf916 77c669164c377e39
7837b0277c547e94 78837a3c0478de2a 78a00d189cb84bce 78eb0bb7d5c01cfc 7902e27065cfa96f 793739b9b74e71d4
796e43a5a8cdb73b 79bc0cf1208d5e6f 7ad1e3684920d9f1 7b2bced04e308911 7c4a23e0f78beaac 7c6bff285331b85d
7f5a9ba14cb89dc2 7f8cafc8690f2707 8171c4ecae07283c 82bbcd639a4c6c71 82d200b5e9f262ee 8353bea1729f1e9c
847901fd867ee75b 84cdddc15ead3167 85228c1a6ab0e937 8522a784d35db486 860836fad9008cf1 867d78976655050c
86eaefb11037cf52 89364a0a769977b3 899c3f165a082f9b 8a573b6d2e861537 8a5cab80357fd68d 8ac21972b8c1d790
8b074093a573c93f 8b6f82db885a3f8c 8bedb0f81a005e35 8c559fe99124ceda 8c85e2b60c85495e 8ea748b09b117e6c
8f16aaa0cb1b7008 8f5083e3e5c7dc89 900baa490182891e 9270c8c38be2579a 92cb9c4ac196b4d0 92fd7bca0302641f
9319b173d4916f1c 937d56e49744d206 938b345cbdb06fd5 945ff6e308039fae 94768d779d9ecc8c 949b36da3e165b45
94a2b576a9f577e9 954bafccc8afa13d 956fc30bfe11b61e 9676b38cb889a36d 967e1a8516f4f6c9 96bc3efe34f172ed
96c91fa847821d6e 9788d8b3212a4085 984979b9928ae8d8 984b5c6ef01348e4 98980840dd2f3d5b 98fc07367b6df3e7
997ff4c1c4d8ff8e 9a2e86f9d00a0618 9a2fbb5e146abf2c 9a4eac2dfadaf64a 9ae315a94e428a7e 9b1e3483dba241cb
9b6c934beefd529e 9d0c03e92e6d3989 9d6974c74df2829a 9dfd0dc6be0cdd79 9e1f2b48f479bca0 9e6a954047169b86
9e7e1870c4c9d64a 9ee5b2fdbc7f442c a00f29548b406b5c a054a0b98b43f0a0 a17ce17dd6b56ae2 a1c1a3b70c880045
a24efab8d957af0a a2d1c681df8f5f5a a2d3fcd68f5fdb22 a32876c61f8f837b a360455901adad12 a368606514955567
a3fbe09180c15eae a51280f96d87bde0 a52ff550b4c76703 a67ee3d5403ef2b2 a6ee0e6b8b6a6ba1 a76d588d0047e3b0
a7a23d32156c7c6f a7da90a3b6f64e35 a7ff55367d502a92 a9488fcfe4de8ede a9711dd9b164dc33 a9b1d2766b186b8d
ab0c0f27af36362c ac09006630222410 ac996ae492f9a987 acefec684ec133ff ade74a96ae48fd4f ae82d07aa558d8be
af48d859d484bca1 afa228120ddece1f afc330ccd12666e2 b04a8a4006358447 b07b3d7f9a5b7e1b b08cd16102e57985
b274470eec8113c9 b2d347337ad0bb6e b315f7c418b68b3a b3711a9bf3b362cb b432ac0492f2bba0 b475efdb49506e29
b4952b243ce195cf b4e20a1ea41ffba5 b58922e61c6f4c6c b641f751ea753a67 b652ea885f7a7475 b748094237f6663e
b8200c6d5ed30e19 b88a33fd6e3b93ec b8b9327a098adf98 b8e8c313b6712eb7 b96e50d44275fca9 ba79229c14881e61
baa9c153079197ea bbe195a3c7499fd0 bc9cecc54fc8bc91 bd331fb1d24298f5 bd778891dbe86ede bd9b8d8e9aa8e2aa
bdb3d9065ecc2c3c be476b26bf8dc6ec be6bdfe81ec4a456 beac9d1670fca715 bf141eb335060ee2 bff62c045f69c222
c0bb7ca763be828b c1611f05025e2731 c1cabb6f6e431f9c c1cb721982154916 c1d1e7b4caa4da34 c2aeb014071f1f62
c2c3b68b48832afd c2d214a484e9d44d c41faeb395c1f0ce c440d4625ed5712a c48df3ae67d8a97f c59758402ac47948
c629da3c8da3dc80 c63618fc539901f2 c675dc0ad18ddb40 c68fef1abac63a83 c701f0741327523d c709e1a135e80d29
c70c6dd005ab7592 c8a6d5d0a2a3e83c c99eb023d0e6d23f c9f3c15aa216d634 c9f7302b24ab085c ca762bf29d849e00
cb42374794efbbaa cb835c490922ac91 cb9c0134414a8e95 cc12b323f90114d9 cc27fc3bdcbf2da2 cc8a30ea6faccd1b
ccf019a4a4493883 ccf56636875ae147 ccff74c2d57f45d2 cdebb5a5920f326e ce4d760f00dcd6cf ce96cb0c79011fae
ceb4d1dcf897b1e0 ceccc97adb130cf0 cf08941aa114a934 cf51c9e21a7c9e86 d15779dd244a6d98 d17ef52107f0a0cd
d1a4be19b3cfc283 d1bbb2205bcd96b0 d1f79e652718a4a9 d245daacc9e03291 d28eb5f7b4ab8149 d2ad66605ba1137c
d31f9b0cc1fd2416 d5405925e3082bc1 d5a1b11a2d99d44a d66c3f4880f69487 d6816f4743aa7697 d6be0c9fb07891cf
d6bf9fbe46a67a31 d7575fde02a7eb54 d75a838dc758ba17 d75caf8c1bfcc15e d7c8fbed35270bfd d7f1e23219eed754
d84f691fc4981d9d d92f4cf1e2d7e812 db624db701f0eb63 dc2abe4ed2d8a549 dc50d24e893cd31f dd32831e9d5f3da3
dd67719aaa851871 dd8e06e6588778bb df1a0ec111eec550 df836d904a5c630c dfb0ce07edf923f1 e03b37ca9a693181
e041c60942b1cbfd e0c71583d9752cf7 e11dc1dad9050ec1 e1b73076698c35dc e1ce2544228e9c06 e206090691228af8
e22665cad68137f2 e434dd971ffe6faf e45e23d239aa624d e482bd8d2c705bad e512a05583448f44 e531352262538e0c
e683679358a5aea3 e68b920e8d0f45e7 e704ce88991533ab e8b20338c52480d7 e8bf1b46a611e92c e9143a29033d9145
e9b6438440bf1991 ea3621f3987e17ca eaeeef0170ecaecb eb0afd90509c5067 eb6c4637b94ce459 eb75f07136195394
eb7fce4646e9a649 eb953fd6e066c352 eb9b035455b44ae0 ebaeb202ee2a53fb ebec03d80c0d3bff ebefe184171f13e8
ec391834c9f1ba10 ed12eb20000f3e53 ed2b506b12f63ef3 ed3dae1f14e17f64 ed45d626b07112a8 ee03fb050595ab93
ee6f01a92dd8063b ee70f99bd2ab9513 efaac53150981b87 eff26b18165ece9c f07d989f1acc093b f0cb4effa613bc53
f1e358826c77477c f364ed19ea50ebbe f4a85a7509a0a756 f4b93e30d8b943df f5778592072e93a9 f5fa040595432b25
f600213ecb89e32b f6952d6eef555ddd f6a9dcb187642124 f86e4f749697f52b f8feddeec4744d98 f9c14a7a87906130
f9d0d9b18ae9033a f9d5e8212308e3c3 faa69b10d8d1a8c4 fb1605ce988840c8 fb45bef37150c35c fc3086f6d1e06809
fca0183d3eb4334b fcd2e6152022daf7 fda6539b84e7df94 fdea889984197e3e ff2a3c12d9a7006f ff5ae7e8d206066d
ffe04d700ee503c5 fff9f2190835c7e6
`
    .trim()
    .split(/\s+/),
);

export function buildWordList(dictionary: string): string[] {
  const words = new Set<string>();
  for (const line of dictionary.split("\n")) {
    const word = line.trim();
    if (!/^[a-z]{4,8}$/.test(word)) continue;
    if (EXCLUDED.has(createHash("sha256").update(word).digest("hex").slice(0, 16))) continue;
    if (letterBits(word) < MIN_LETTER_BITS) continue;
    words.add(word);
  }
  return [...words].sort();
}

/**
 * The notices the word list's licences ask to keep with every copy. `@license` keeps the block in
 * the built bundle.
 */
const LICENSE_NOTICE = `/**
 * @license
 * Word list derived from SCOWL (Spell Checker Oriented Word Lists), size 35.
 *
 * Copyright 2000-2011 by Kevin Atkinson
 *
 * Permission to use, copy, modify, distribute and sell these word
 * lists, the associated scripts, the output created from the scripts,
 * and its documentation for any purpose is hereby granted without fee,
 * provided that the above copyright notice appears in all copies and
 * that both that copyright notice and this permission notice appear in
 * supporting documentation. Kevin Atkinson makes no representations
 * about the suitability of this array for any purpose. It is provided
 * "as is" without express or implied warranty.
 *
 * Inflections in SCOWL were produced with the help of the WordNet database:
 *
 * WordNet 1.6 Copyright 1997 by Princeton University.  All rights
 * reserved.
 *
 * THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON
 * UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES, EXPRESS OR
 * IMPLIED.  BY WAY OF EXAMPLE, BUT NOT LIMITATION, PRINCETON
 * UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANT-
 * ABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE OF THE
 * LICENSED SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT INFRINGE ANY
 * THIRD PARTY PATENTS, COPYRIGHTS, TRADEMARKS OR OTHER RIGHTS.
 */`;

function main(): void {
  const source = process.argv[2] ?? "/usr/share/dict/american-english-small";
  const words = buildWordList(readFileSync(source, "utf8"));
  const target = path.join(path.dirname(fileURLToPath(import.meta.url)), "word-list.ts");
  const header = [
    "// Generated by build-word-list.ts from Debian's wamerican-small 2020.12.07-2 (SCOWL size 35).",
    "// Do not edit by hand. Source, filters and entropy: docs/credentials.md.",
    "",
    LICENSE_NOTICE,
    "",
    `/** ${words.length} lower-case English words of 4 to 8 letters, one per line. */`,
    "export const WORD_LIST_TEXT = `",
  ];
  writeFileSync(target, `${header.join("\n")}\n${words.join("\n")}\n\`;\n`);
  process.stdout.write(`${words.length} words written to ${target}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
