// 邮政 (postal service): free delivery of the paper licence, seals and invoices (a UPU S10 item
// identifier, EMS), or a pickup code at the service hall. Answers at once by default.
import type { FieldIssue } from '../../contracts/index.ts';
import { generateS10TrackingNumber, randomDigits, startMock, type MockDepartment, type MockDepartmentOptions, type MockStepDefinition } from '../kit/index.ts';

export const POSTAL_DELIVERY_REJECTIONS = {
  undeliverable: {
    path: 'delivery',
    message: '收件地址无法投递，请核对地址或改为大厅自取 (the address cannot be served; check it or choose pickup at the service hall)',
  },
} as const satisfies Record<string, FieldIssue>;

export const postalDelivery: MockStepDefinition<'postal-delivery'> = {
  step: 'postal-delivery',
  defaultMode: 'sync',
  referencePrefix: 'YZJD',
  rejectionReasons: [POSTAL_DELIVERY_REJECTIONS.undeliverable],
  result({ data, random, now }) {
    if (data.delivery.method === 'post') {
      return { method: 'post', trackingNumber: generateS10TrackingNumber(random), dispatchedAt: now.toISOString() };
    }
    return { method: 'pickup', pickupCode: randomDigits(random, 6), hall: data.delivery.hall, readyAt: now.toISOString() };
  },
};

export function createPostalDeliveryMock(options: MockDepartmentOptions): Promise<MockDepartment<'postal-delivery'>> {
  return startMock(postalDelivery, options);
}
