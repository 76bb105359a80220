import { describe, expect, it } from 'vitest';
import { BUDGETS } from '../../bench/budgets.ts';
import { measureConversation } from '../../bench/conversation-cost.ts';
import { isolatedTable, testDocumentClient } from '../../support/dynamo.ts';

describe('a 40-message keyed chatbot conversation', () => {
  it('keeps the stored item within its byte budget, so a write costs 1 WCU plus the index', async () => {
    const table = await isolatedTable();
    const doc = testDocumentClient();
    try {
      const cost = await measureConversation(doc, table.tableName);

      expect(cost.largestItemBytes).toBeLessThanOrEqual(BUDGETS.conversationItemBytes);
      expect(cost.steadyWcuPerWrite).toBeLessThanOrEqual(BUDGETS.conversationWcuPerWrite);
      // Every write is one WCU on the table; the one bucket crossing adds the index's two.
      expect(cost.wcu.filter((units) => units !== 1)).toEqual([3]);
    } finally {
      doc.destroy();
      await table.drop();
    }
  });
});
