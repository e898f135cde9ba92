// Address strings that strict parsing must refuse, shared by the address and client-address tests.

/** Every spelling a lenient parser (inet_aton, ipaddr.js) would reinterpret or accept. */
export const NON_CANONICAL: readonly string[] = [
  '010.0.0.1', // octal octet: inet_aton reads 8.0.0.1
  '10.0.0.01',
  '167772161', // one 32-bit integer: 10.0.0.1
  '0x0a.0.0.1', // hex octet
  '0xa000001',
  '1.2.3', // three parts: 1.2.0.3
  '10.1',
  '1.2.3.4:5678', // port
  '[::1]:80',
  '[::1]',
  '::1/128', // a prefix is not an address
  ' 10.0.0.1',
  '10.0.0.1 ',
  '10.0.0. 1',
  '\t10.0.0.1',
  'fe80::1%eth0', // zone id
  'fe80::1%25eth0',
  '::ffff:010.0.0.1', // octal inside a mapped address
  '::ffff:10.0.0.01',
  '1.2.3.256',
  '1::2::3',
  '1:2:3:4:5:6:7:8:9',
  '00001::1',
  '',
  'localhost',
  '10.0.0.1.',
  '١٠.0.0.1', // non-ASCII digits
];
