// The demo ERP's sample rows, keyed by database column name: deterministic for a given generator and scale.

import type { Prng } from './prng.js';

const BASE_COUNTS = { customers: 500, items: 200, orders: 1500, notes: 800 } as const;
/** Legacy order numbers did not start at 1; neither do ours, so clients cannot assume key = row index. */
export const FIRST_ORDER_NO = 10001;

const DATA_START = Date.UTC(2019, 0, 1);
const DATA_END = Date.UTC(2025, 11, 31, 23, 59, 59);
/** Customers are created early enough that each can still have some order history. */
const CUSTOMERS_UNTIL = Date.UTC(2024, 11, 31);
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------------------------
// Rows, keyed by database column name

type Region = 'EMEA' | 'AMER' | 'APAC';
type OrderStatus = 'OPEN' | 'SHIPPED' | 'INVOICED' | 'CLOSED' | 'CANCELLED';

interface CustomerRow {
  CUST_ID: number;
  CUST_NAME: string;
  EMAIL_ADDR: string | null;
  REGION: Region;
  'Credit Limit': string | null;
  STATUS_CD: 'A' | 'I' | 'H';
  CREATED_TS: string;
  Straße: string | null;
}

interface ItemRow {
  ITEM_CD: string;
  DESCR: string;
  UNIT_COST: string;
  ORDER: number | null;
  DISCONTINUED: boolean;
}

interface OrderRow {
  ORD_NO: number;
  CUST_ID: number;
  ORD_DT: string;
  STATUS: OrderStatus;
  TOTAL_AMT: string;
}

interface OrderLineRow {
  ORD_NO: number;
  LINE_NO: number;
  ITEM_CD: string;
  QTY: number;
  UNIT_PRICE: string;
}

interface NoteRow {
  NOTE_ID: number;
  CUST_ID: number;
  NOTE_TXT: string;
  ENTERED_BY: string;
  ENTERED_TS: string;
}

export interface ErpData {
  readonly customers: readonly CustomerRow[];
  readonly items: readonly ItemRow[];
  readonly orders: readonly OrderRow[];
  readonly lines: readonly OrderLineRow[];
  readonly notes: readonly NoteRow[];
}

export function generateErpData(rng: Prng, scale: number): ErpData {
  const count = (base: number): number => Math.max(1, Math.round(base * scale));
  const customers = generateCustomers(rng, count(BASE_COUNTS.customers));
  const items = generateItems(rng, count(BASE_COUNTS.items));
  const { orders, lines } = generateOrders(rng, count(BASE_COUNTS.orders), customers, items);
  const notes = generateNotes(rng, count(BASE_COUNTS.notes), customers);
  return { customers, items, orders, lines, notes };
}

// ---------------------------------------------------------------------------------------------------------------
// Customers

const FIRST_NAMES = [
  'Anna', 'Ben', 'Carla', 'David', 'Elena', 'Farid', 'Grace', 'Hiroshi', 'Ines', 'Jonas', 'Kavya', 'Liam',
  'Maria', 'Noah', 'Olga', 'Pedro', 'Qian', 'Rosa', 'Samuel', 'Tara', 'Uma', 'Victor', 'Wei', 'Yara',
  'Zoë', 'José', 'François', 'Jürgen', 'Aisha', 'Mateo', 'Chloé', 'Sven', 'Priya', 'Oliver', 'Mei', 'Lucas',
] as const;

const LAST_NAMES = [
  'Smith', 'Müller', 'García', 'Rossi', 'Dubois', 'Kowalski', 'Nguyen', 'Tanaka', 'Silva', 'Johansson',
  'Okafor', 'Patel', 'Kim', 'Novak', 'Jansen', 'Fischer', 'López', 'Chen', 'Brown', 'Wilson', 'Hansen',
  'Costa', 'Schmidt', 'Martin', 'Ivanova', 'Sato', 'Andersen', 'Moreau', 'Lindqvist', "O'Brien",
] as const;

const STREETS: Readonly<Record<Region, readonly string[]>> = {
  EMEA: ['Hauptstraße', 'Königsallee', 'Bahnhofstraße', 'Rue de Rivoli', 'Calle Mayor', 'Via Roma', 'Kungsgatan', 'Damrak'],
  AMER: ['Main Street', 'Oak Avenue', 'Maple Drive', 'Avenida Paulista', 'Elm Street', 'Sunset Boulevard', 'King Street West'],
  APAC: ['George Street', 'Orchard Road', 'Nathan Road', 'Queen Street', 'Collins Street', 'MG Road'],
};

/** Continental streets put the house number last, the others first. */
const NUMBER_FIRST: Readonly<Record<Region, boolean>> = { EMEA: false, AMER: true, APAC: true };

const CREDIT_LIMITS = [1000, 2500, 5000, 7500, 10000, 25000, 50000, 100000] as const;

function generateCustomers(rng: Prng, count: number): CustomerRow[] {
  const rows: CustomerRow[] = [];
  for (let id = 1; id <= count; id++) {
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const region = rng.weighted<Region>([['EMEA', 40], ['AMER', 35], ['APAC', 25]]);
    rows.push({
      CUST_ID: id,
      CUST_NAME: `${first} ${last}`,
      // The id suffix keeps addresses unique however often a name repeats; a few legacy accounts have none.
      EMAIL_ADDR: rng.chance(0.04) ? null : `${asciiLower(first)}.${asciiLower(last)}${id}@example.com`,
      REGION: region,
      'Credit Limit': rng.chance(0.12) ? null : formatCents(rng.pick(CREDIT_LIMITS) * 100),
      STATUS_CD: rng.weighted<'A' | 'I' | 'H'>([['A', 85], ['I', 10], ['H', 5]]),
      CREATED_TS: new Date(rng.timeBetween(DATA_START, CUSTOMERS_UNTIL)).toISOString(),
      Straße: rng.chance(0.15) ? null : streetAddress(rng, region),
    });
  }
  return rows;
}

function streetAddress(rng: Prng, region: Region): string {
  const street = rng.pick(STREETS[region]);
  const number = rng.int(1, 250);
  return NUMBER_FIRST[region] ? `${number} ${street}` : `${street} ${number}`;
}

/** "Zoë" → "zoe", "O'Brien" → "obrien": email local parts stay plain ASCII. */
function asciiLower(name: string): string {
  return name.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase();
}

// ---------------------------------------------------------------------------------------------------------------
// Items

interface ItemFamily {
  readonly prefix: string;
  readonly weight: number;
  /** Unit cost range in cents. */
  readonly costCents: readonly [number, number];
  readonly describe: (rng: Prng) => string;
}

const ITEM_FAMILIES: readonly ItemFamily[] = [
  {
    prefix: 'FAS',
    weight: 30,
    costCents: [5, 250],
    describe: (r) =>
      `${r.pick(['Hex bolt', 'Socket cap screw', 'Carriage bolt'])} M${r.pick([5, 6, 8, 10, 12])} x ${r.pick([16, 20, 30, 40, 60, 80])} mm, ${r.pick(['zinc plated', 'stainless A2', 'stainless A4', 'hot-dip galvanised'])}`,
  },
  {
    prefix: 'ELE',
    weight: 20,
    costCents: [150, 18000],
    describe: (r) =>
      r.chance(0.5)
        ? `Installation cable ${r.pick(['3G1.5', '3G2.5', '5G2.5', '5G4'])} mm², ${r.pick(['grey', 'black'])}, ${r.pick([25, 50, 100])} m drum`
        : `${r.pick(['Circuit breaker', 'RCD', 'Contactor'])} ${r.pick([10, 16, 20, 25, 32, 40])} A, ${r.pick([1, 2, 3, 4])}-pole`,
  },
  {
    prefix: 'PLU',
    weight: 15,
    costCents: [80, 6500],
    describe: (r) =>
      `${r.pick(['Copper elbow 90°', 'Press tee', 'Ball valve', 'Compression coupling'])} ${r.pick([15, 22, 28, 35])} mm`,
  },
  {
    prefix: 'TOO',
    weight: 15,
    costCents: [900, 45000],
    describe: (r) =>
      `${r.pick(['Torque wrench', 'Cordless drill', 'Angle grinder', 'Pipe cutter', 'Crimping tool'])} ${r.pick(['Pro', 'XL', 'Compact', 'Heavy duty'])} ${r.pick(['series 2', 'series 3', '2019 model', ''])}`.trim(),
  },
  {
    prefix: 'SAF',
    weight: 10,
    costCents: [120, 9000],
    describe: (r) =>
      `${r.pick(['Nitrile gloves', 'Safety glasses', 'Ear defenders', 'Hi-vis vest'])}, size ${r.pick(['S', 'M', 'L', 'XL'])}${r.chance(0.3) ? ', box of 100' : ''}`,
  },
  {
    prefix: 'PAC',
    weight: 10,
    costCents: [40, 4000],
    describe: (r) =>
      `${r.pick(['Stretch film', 'Packing tape', 'Corrugated box', 'Pallet wrap'])} ${r.pick(['500 mm x 300 m', '50 mm x 66 m', '600 x 400 x 400 mm', 'clear', 'brown'])}`,
  },
];

function generateItems(rng: Prng, count: number): ItemRow[] {
  const serials = new Map<string, number>();
  const rows: ItemRow[] = [];
  for (let i = 0; i < count; i++) {
    const family = rng.weighted(ITEM_FAMILIES.map((f) => [f, f.weight] as const));
    const serial = (serials.get(family.prefix) ?? 0) + 1;
    serials.set(family.prefix, serial);
    rows.push({
      ITEM_CD: `${family.prefix}-${String(serial).padStart(5, '0')}`,
      DESCR: family.describe(rng),
      UNIT_COST: formatCents(rng.int(family.costCents[0], family.costCents[1])),
      ORDER: rng.chance(0.2) ? null : (i + 1) * 10,
      DISCONTINUED: rng.chance(0.08),
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Orders and lines

function generateOrders(
  rng: Prng,
  count: number,
  customers: readonly CustomerRow[],
  items: readonly ItemRow[],
): { orders: OrderRow[]; lines: OrderLineRow[] } {
  const orders: OrderRow[] = [];
  const lines: OrderLineRow[] = [];
  for (let i = 0; i < count; i++) {
    const ordNo = FIRST_ORDER_NO + i;
    // Skewed towards low ids: a few big accounts order a lot, and some customers never order at all.
    const customer = customers[Math.floor(customers.length * rng.next() ** 1.6)] ?? customers[0]!;
    const orderedAt = rng.timeBetween(Date.parse(customer.CREATED_TS), DATA_END);
    const orderLines = generateLines(rng, ordNo, items);
    lines.push(...orderLines);
    orders.push({
      ORD_NO: ordNo,
      CUST_ID: customer.CUST_ID,
      ORD_DT: new Date(orderedAt).toISOString().slice(0, 10),
      STATUS: orderStatus(rng, orderedAt),
      // Computed in integer cents from the same lines, so the header always equals sum(QTY * UNIT_PRICE).
      TOTAL_AMT: formatCents(orderLines.reduce((sum, l) => sum + l.QTY * parseCents(l.UNIT_PRICE), 0)),
    });
  }
  return { orders, lines };
}

function generateLines(rng: Prng, ordNo: number, items: readonly ItemRow[]): OrderLineRow[] {
  // Mean ≈ 2.7 lines per order: ~4000 lines for the default 1500 orders.
  const wanted = Math.min(items.length, rng.weighted<number>([[1, 20], [2, 25], [3, 30], [4, 15], [5, 10]]));
  const chosen = new Set<ItemRow>();
  while (chosen.size < wanted) chosen.add(rng.pick(items));
  return [...chosen].map((item, index) => ({
    ORD_NO: ordNo,
    LINE_NO: index + 1,
    ITEM_CD: item.ITEM_CD,
    QTY: rng.chance(0.8) ? rng.int(1, 10) : rng.pick([12, 20, 24, 50, 100]),
    // List price = cost plus a 20–80 % margin, rounded to the cent.
    UNIT_PRICE: formatCents(Math.round(parseCents(item.UNIT_COST) * (1.2 + rng.next() * 0.6))),
  }));
}

/** Recent orders are still moving; old ones are closed, bar a few that were cancelled or forgotten. */
function orderStatus(rng: Prng, orderedAt: number): OrderStatus {
  const ageDays = (DATA_END - orderedAt) / DAY_MS;
  if (rng.chance(0.03)) return 'CANCELLED';
  if (ageDays < 30) return rng.weighted<OrderStatus>([['OPEN', 60], ['SHIPPED', 40]]);
  if (ageDays < 120) return rng.weighted<OrderStatus>([['SHIPPED', 30], ['INVOICED', 50], ['CLOSED', 20]]);
  return rng.weighted<OrderStatus>([['CLOSED', 97], ['OPEN', 2], ['SHIPPED', 1]]);
}

// ---------------------------------------------------------------------------------------------------------------
// Customer notes

const NOTE_AUTHORS = ['JSMITH', 'MGARCIA', 'AKOWALSKI', 'TNGUYEN', 'LMUELLER', 'RPATEL', 'SYS_BATCH'] as const;

const NOTE_TEMPLATES: ReadonlyArray<(r: Prng) => string> = [
  (r) => `Called re: overdue invoice INV-${r.int(100000, 999999)}; customer promised payment within ${r.pick([7, 14, 30])} days.`,
  () => 'Requested credit limit review. Forwarded to finance.',
  () => 'Prefers delivery before noon; loading dock closes at 15:00.',
  () => 'Billing address changed by phone, confirmation email sent.',
  () => 'Account placed on hold pending credit check.',
  (r) => `Complaint about damaged delivery on order ${r.int(FIRST_ORDER_NO, FIRST_ORDER_NO + BASE_COUNTS.orders - 1)}; replacement shipped.`,
  () => 'Asked for quarterly statements instead of monthly.',
  () => 'Contact person left the company; new contact to be confirmed.',
  (r) => `Agreed ${r.pick([2, 3, 5])} % discount on fasteners for the next order.`,
  () => 'Tax exemption certificate received and scanned.',
];

function generateNotes(rng: Prng, count: number, customers: readonly CustomerRow[]): NoteRow[] {
  const drafts = Array.from({ length: count }, () => {
    const customer = rng.pick(customers);
    return {
      CUST_ID: customer.CUST_ID,
      NOTE_TXT: rng.pick(NOTE_TEMPLATES)(rng),
      ENTERED_BY: rng.pick(NOTE_AUTHORS),
      enteredAt: rng.timeBetween(Date.parse(customer.CREATED_TS), DATA_END),
    };
  });
  // Ids rise with entry time and skip a few numbers, as ids do in a table whose rows were sometimes deleted.
  drafts.sort((a, b) => a.enteredAt - b.enteredAt);
  let noteId = 0;
  return drafts.map(({ enteredAt, ...note }) => {
    noteId += rng.chance(0.9) ? 1 : rng.int(2, 5);
    // `timestamp` (no time zone): write wall-clock text so no session time zone can shift it.
    return { NOTE_ID: noteId, ...note, ENTERED_TS: new Date(enteredAt).toISOString().slice(0, 19).replace('T', ' ') };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

function parseCents(amount: string): number {
  return Math.round(Number(amount) * 100);
}
