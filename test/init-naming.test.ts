// API names that `gatehouse init` gives database identifiers: case styles, unsafe and reserved names, collisions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entityNames, propertyNames, resourceNames } from '../src/init/naming.js';

describe('init naming', () => {
  it('when columns are legacy upper-case or spaced, then camelCase and snake_case API names follow them', () => {
    const columns = ['CUST_ID', 'Full Name', 'OrderID', 'createdAt'];
    assert.deepEqual(propertyNames(columns, 'camel').names, ['custId', 'fullName', 'orderId', 'createdAt']);
    assert.deepEqual(propertyNames(columns, 'snake').names, ['cust_id', 'full_name', 'order_id', 'created_at']);
    assert.deepEqual(propertyNames(columns, 'camel').renames, [], 'a change of case alone is not reported');
  });

  it('when "Order Date" and order_date both exist, then the one already named so keeps it and the other is numbered and reported', () => {
    const snake = propertyNames(['Order Date', 'order_date'], 'snake');
    assert.deepEqual(snake.names, ['order_date_2', 'order_date']);
    assert.deepEqual(snake.renames, [{ from: 'Order Date', to: 'order_date_2', reasons: ['collision'] }]);
    const camel = propertyNames(['Order Date', 'order_date'], 'camel');
    assert.deepEqual(camel.names, ['orderDate', 'orderDate2']);
    assert.deepEqual(camel.renames, [{ from: 'order_date', to: 'orderDate2', reasons: ['collision'] }]);
  });

  it('when the same input is named twice, then the result is identical (deterministic)', () => {
    const columns = ['a b', 'A_B', 'aB', 'ab', 'Größe', 'grosse'];
    assert.deepEqual(propertyNames(columns, 'camel'), propertyNames([...columns], 'camel'));
    const names = propertyNames(columns, 'camel').names;
    assert.equal(new Set(names.map((n) => n.toLowerCase())).size, names.length, `names collide: ${names.join(', ')}`);
  });

  it('when names are non-ASCII, start with a digit, are empty after conversion or are query parameters, then they are made safe and reported', () => {
    const { names, renames } = propertyNames(['Straße', '名称', '1st_qtr', '€', 'order', 'select', 'limit'], 'camel');
    assert.deepEqual(names, ['strasse', 'mingCheng', 'col1stQtr', 'eur', 'orderColumn', 'selectColumn', 'limitColumn']);
    for (const name of names) assert.match(name, /^[A-Za-z_][A-Za-z0-9_]*$/);
    assert.deepEqual(
      renames.map((r) => [r.from, r.reasons]),
      [
        ['Straße', ['transliterated']],
        ['名称', ['transliterated']],
        ['1st_qtr', ['unsafe']],
        ['€', ['transliterated']],
        ['order', ['reserved']],
        ['select', ['reserved']],
        ['limit', ['reserved']],
      ],
    );
    assert.deepEqual(propertyNames(['!!!', '   '], 'snake').names, ['column_1', 'column_2']);
  });

  it('when tables are named like the gateway\'s own paths or collide, then resource paths and schema names stay unique', () => {
    const relations = [{ name: 'docs' }, { name: 'Order Line' }, { name: 'ORDER_LINE' }, { name: 'orders', prefix: 'sales' }];
    assert.deepEqual(resourceNames(relations).names, ['docs-table', 'order-line', 'order-line-2', 'sales-orders']);
    assert.deepEqual(entityNames([{ name: 'Problem' }, { name: 'order line' }, { name: 'ORDER_LINE' }, { name: '2019 sales' }]).names, [
      'ProblemRow',
      'OrderLine',
      'OrderLine2',
      'Table2019Sales',
    ]);
  });
});
